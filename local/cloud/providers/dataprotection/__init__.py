"""Microsoft.DataProtection emulation: Backup vaults, policies, backup instances, restores, jobs."""

from __future__ import annotations

from ...core import Cloud
from .actions import register_action_routes
from .instances import register_instance_routes
from .lifecycle import register_lifecycle_routes
from .operations import all_jobs, register_operation_routes
from .state import DataProtectionState
from .vaults import VaultsProvider


class DataProtectionProvider:
    name = "Microsoft.DataProtection"

    def register(self, cloud: Cloud) -> None:
        VaultsProvider().register(cloud)
        register_instance_routes(cloud)
        register_action_routes(cloud)
        register_lifecycle_routes(cloud)
        register_operation_routes(cloud)
        cloud.graph_sources["dataProtectionJobs"] = all_jobs


__all__ = ["DataProtectionProvider", "DataProtectionState"]
