"""``check_configuration``: validate the settings and the protection rules when the host starts, then hourly.

The rules are also loaded (and validated) by the first protection that needs them; this check makes a bad
document visible at start-up, with every problem and its JSON path, instead of at the first resource write.
"""

from __future__ import annotations

import logging

import azure.durable_functions as df
import azure.functions as func

from functions import runtime
from shared.errors import BackupAutopilotError

log = logging.getLogger("backup_autopilot.health")
bp = df.Blueprint()


@bp.timer_trigger(schedule="0 0 * * * *", arg_name="timer", run_on_startup=True, use_monitor=False)
def check_configuration(timer: func.TimerRequest) -> None:
    """Raise (so the host records a failed run) with a clear message when the configuration is invalid."""
    try:
        settings = runtime.settings()
        rules = runtime.rules()
    except BackupAutopilotError as exc:
        log.error("configuration is invalid: %s", exc.message)
        raise
    log.info(
        "configuration ok: %d protection rules from %s; ARM endpoint %s; role grants %s; dry run %s",
        len(rules.document.get("rules", [])),
        rules.source,
        settings.arm_endpoint,
        "on" if settings.grant_roles else "off",
        "on" if settings.dry_run or rules.dry_run else "off",
    )
