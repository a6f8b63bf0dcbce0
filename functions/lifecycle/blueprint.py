"""The lifecycle capability's blueprint, shared by its HTTP triggers, orchestrators and activities."""

import azure.durable_functions as df

bp = df.Blueprint()
