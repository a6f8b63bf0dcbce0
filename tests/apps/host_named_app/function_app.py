"""Test app for the local host: its one function app object is not named ``app`` (the Durable samples call it
``myApp``), as the Python worker allows."""

import azure.durable_functions as df
import azure.functions as func

myApp = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@myApp.route(route="orchestrators/{functionName}", methods=["POST"])
@myApp.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["functionName"])
    return client.create_check_status_response(req, instance_id)


@myApp.orchestration_trigger(context_name="context")
def hello_orchestrator(context: df.DurableOrchestrationContext):
    greetings = []
    for city in ["Tokyo", "Seattle", "London"]:
        greetings.append((yield context.call_activity("hello", city)))
    return greetings


@myApp.activity_trigger(input_name="city")
def hello(city: str) -> str:
    return f"Hello {city}"
