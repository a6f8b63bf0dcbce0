"""The local Functions host: serves any v2 ``function_app.py`` the way the Azure Functions host does.

Run it with ``python -m local host --app-dir DIR --port PORT [--time-factor F] [--bind ADDR] [--log-level L]``
(exit code 1 with one ``error: ...`` line on a missing setting or an invalid app; SIGINT/SIGTERM stop it
gracefully with exit code 0). Tests and scripts use :class:`local.host.process.HostProcess`.

Admin: ``GET /admin/host/status`` (master key) -> ``{"state": "Running", "functions": [...]}``.
Logs: one JSON object per line on stderr, with ``functionName``/``invocationId`` (and ``instanceId`` when
set) for everything logged during an invocation (:mod:`local.host.logs`).

The app object is the module's one top-level ``azure.functions.FunctionRegister`` (``FunctionApp``,
``DFApp``), whatever its name; none, or more than one, is refused as the Python worker refuses it
(:mod:`local.app_loader`).

Triggers: HTTP (``/{routePrefix}/{route}``), Event Grid (``/runtime/webhooks/eventgrid``), storage queues
(polling Azurite), timers (six-field NCRONTAB, UTC); orchestrator and activity functions are run by
:mod:`local.durable`, whose HTTP API is mounted at ``/runtime/webhooks/durabletask`` (system key required).
With ``--time-factor F`` durable time runs F times faster than real time, on one timeline per task hub that a
restart goes on with (:mod:`local.durable.clock`): a hub that ran scaled stays ahead of the wall clock.

Settings are read once (:mod:`local.host.settings`) from ``<app-dir>/local.settings.json`` "Values" and the
process environment. As in Azure Functions Core Tools, a variable already present in the environment wins
over local.settings.json (Core Tools skips such a value with a warning). The merged values are exported into
``os.environ`` for the app, as the real host does for app settings.

Settings names this host reads besides the app's own:

``AzureWebJobsStorage``
    Storage for queues, timer schedule status and the durable task hub. ``UseDevelopmentStorage=true`` means
    Azurite on the default ports. If nothing listens there, the host starts Azurite itself (on the ports the
    connection string names) and stops it on exit.
``FUNCTIONS_KEY``
    The function key (``?code=`` or ``x-functions-key``) for ``AuthLevel.FUNCTION`` HTTP functions.
    Local default ``local-function-key``.
``FUNCTIONS_MASTER_KEY``
    The master key: accepted wherever any key is, required for ``AuthLevel.ADMIN`` and ``/admin/*``.
    Local default ``local-master-key``.
``FUNCTIONS_EVENTGRID_KEY``
    The Event Grid system key (the real host's ``eventgrid_extension`` key) for the Event Grid webhook's
    ``code``. Local default ``local-eventgrid-key``.
``FUNCTIONS_DURABLETASK_KEY``
    The Durable system key (the real host's ``durabletask_extension`` key): every route of the durable HTTP
    API (``/runtime/webhooks/durabletask/...``) answers 401 without it or the master key (``?code=`` or
    ``x-functions-key``). The ``durableClient`` binding carries it as ``requiredQueryStringParameters``
    (``code=...``) and in every management URL (``create_check_status_response`` links work as they are).
    The SDK's own client calls go to the binding's ``rpcBaseUrl``, the engine's loopback-only RPC endpoint,
    which needs no key, as in Azure (:mod:`local.durable.rpc`). Local default ``local-durabletask-key``.
``WEBSITE_SITE_NAME``
    The durable task hub name when host.json has no ``extensions.durableTask.hubName`` (else ``TestHubName``).

Default keys are fixed, documented local values. No key is ever printed or logged: start-up names each key
and says whether it is the local default or set in settings (Core Tools likewise lists function URLs without
their keys), and request URLs (``?code=``) are not logged.

Known gaps: identity-based connections (``<name>__queueServiceUri``), blob/table/Service Bus bindings,
HTTP streaming, function-specific keys. An Azurite the host started is stopped on a graceful exit only
(a SIGKILLed host leaves it running: its pid is logged at start-up, stop it by that pid).
"""
