"""Auto-protection: queue trigger -> ``protect_datasource`` orchestration -> one-ARM-call activities."""

from functions.protection import activities, orchestrator, triggers
from functions.protection.blueprint import bp

__all__ = ["activities", "bp", "orchestrator", "triggers"]
