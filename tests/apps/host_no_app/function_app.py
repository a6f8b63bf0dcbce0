"""Test app for the local host: a blueprint but no function app object to register it on."""

import azure.functions as func

bp = func.Blueprint()


@bp.route(route="ping")
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")
