"""Test app for the local host: a queue trigger whose connection setting does not exist."""

import azure.functions as func

app = func.FunctionApp()


@app.queue_trigger(arg_name="msg", queue_name="never", connection="MissingStorageConnection")
def never(msg: func.QueueMessage) -> None:
    pass
