"""Test app for the local host: two top-level function app objects, which the Python worker refuses."""

import azure.durable_functions as df
import azure.functions as func

durable_app = df.DFApp()
app = func.FunctionApp()


@app.route(route="ping")
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")


@durable_app.activity_trigger(input_name="name")
def hello(name: str) -> str:
    return f"Hello {name}"
