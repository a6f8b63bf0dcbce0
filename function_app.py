"""The Backup Autopilot function app: one DFApp that registers the capability blueprints, nothing else."""

import azure.durable_functions as df

from functions import blueprints

app = df.DFApp()
for blueprint in blueprints():
    app.register_functions(blueprint)
