"""The restore capability's blueprint, shared by its HTTP triggers, orchestrator and activities."""

import azure.durable_functions as df

bp = df.Blueprint()
