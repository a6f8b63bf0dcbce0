"""The compliance capability's blueprint, shared by its triggers, orchestrators and activities."""

import azure.durable_functions as df

bp = df.Blueprint()
