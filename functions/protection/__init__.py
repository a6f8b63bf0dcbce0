"""Auto-protection: Event Grid trigger -> request queue -> queue trigger -> ``protect_datasource``.

The orchestration's activities make one ARM call each (see :mod:`shared.arm.steps`).
"""

from functions.protection import (
    activities,
    event_trigger,
    orchestrator,
    recoveryservices_activities,
    triggers,
)
from functions.protection.blueprint import bp

__all__ = ["activities", "bp", "event_trigger", "orchestrator", "recoveryservices_activities", "triggers"]
