"""Microsoft.RecoveryServices for Azure file shares, end to end as in seeds/004 and docs-fileshare:
vaults, policies, refresh/register/inquire, protectable and protected items, backup, recovery points,
restore, operations and jobs."""

from __future__ import annotations

from typing import Any

from ...core import Cloud
from . import containers, items, vaults
from .lifecycle import job_view
from .seeding import seed_protected_file_shares
from .state import RecoveryServicesState


def all_jobs(cloud: Cloud) -> list[dict[str, Any]]:
    """Every backup job of every vault, as ``backupJobs`` returns it (Resource Graph and the admin view)."""
    return [job_view(cloud, j) for j in cloud.state(RecoveryServicesState).jobs.values()]


class RecoveryServicesProvider:
    name = "Microsoft.RecoveryServices"

    def register(self, cloud: Cloud) -> None:
        vaults.register(cloud)
        containers.register(cloud)
        items.register(cloud)
        cloud.seed_sections["recoveryServicesVaults"] = vaults.seed_vaults
        cloud.seed_sections["protectedFileShares"] = seed_protected_file_shares
        cloud.state_views["rsJobs"] = all_jobs
        cloud.graph_sources["recoveryServicesJobs"] = all_jobs


__all__ = ["RecoveryServicesProvider"]
