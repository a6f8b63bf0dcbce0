"""Test app for the local host: messageEncoding none (plain text in and out)."""

import azure.functions as func

app = func.FunctionApp()


@app.queue_trigger(arg_name="msg", queue_name="plain-in", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="$return", queue_name="plain-out", connection="AzureWebJobsStorage")
def plain(msg: func.QueueMessage) -> str:
    return f"{msg.get_body().decode()}|{msg.dequeue_count}"
