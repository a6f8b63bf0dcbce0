"""The protection capability's blueprint, shared by its triggers, orchestrator and activities."""

import azure.durable_functions as df

bp = df.Blueprint()
