"""Test app for the local host: HTTP routes, params, methods, auth levels, and the Event Grid webhook."""

import asyncio
import json
import os
from pathlib import Path

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _record(name: str, entry: dict) -> None:
    with open(Path(os.environ["RECORD_DIR"]) / f"{name}.jsonl", "a") as out:
        out.write(json.dumps(entry, default=str) + "\n")


def _echo(req: func.HttpRequest) -> dict:
    return {
        "method": req.method,
        "url": req.url,
        "params": dict(req.params),
        "route_params": dict(req.route_params),
        "body": req.get_body().decode(),
        "content_type": req.headers.get("Content-Type"),
    }


@app.route(route="hello", methods=["GET"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"hello {req.params.get('name', 'world')}")


@app.route(route="items/{id:int}/{name?}", methods=["GET", "POST"], auth_level=func.AuthLevel.FUNCTION)
def items(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(_echo(req)), mimetype="application/json")


@app.route(route="admin-only", auth_level=func.AuthLevel.ADMIN)
def admin_only(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("admin ok")


@app.route(route="async/{word:alpha}")
async def async_route(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(0)
    return func.HttpResponse(
        json.dumps({"word": req.route_params["word"]}),
        status_code=201,
        headers={"X-Custom": "yes"},
        mimetype="application/json",
    )


@app.route(route="boom")
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("boom")


@app.route(methods=["GET"])
def default_route(req: func.HttpRequest, context: func.Context) -> str:
    return f"{context.function_name}:{len(context.invocation_id)}"


@app.event_grid_trigger(arg_name="event")
def on_event(event: func.EventGridEvent) -> None:
    data = event.get_json()
    if isinstance(data, dict) and data.get("fail"):
        raise ValueError("asked to fail")
    _record(
        "on_event",
        {
            "kind": type(event).__name__,
            "id": event.id,
            "subject": event.subject,
            "topic": getattr(event, "topic", None),
            "event_type": getattr(event, "event_type", None) or getattr(event, "type", None),
            "source": getattr(event, "source", None),
            "event_time": getattr(event, "event_time", None) or getattr(event, "time", None),
            "data": data,
        },
    )
