"""Microsoft.RecoveryServices for Azure file shares, end to end as in seeds/004 and docs-fileshare:
vaults, policies, refresh/register/inquire, protectable and protected items, backup, recovery points,
restore, operations and jobs."""

from __future__ import annotations

from ...core import Cloud
from . import containers, items, vaults
from .lifecycle import job_view
from .state import RecoveryServicesState


class RecoveryServicesProvider:
    name = "Microsoft.RecoveryServices"

    def register(self, cloud: Cloud) -> None:
        vaults.register(cloud)
        containers.register(cloud)
        items.register(cloud)
        cloud.seed_sections["recoveryServicesVaults"] = vaults.seed_vaults
        cloud.state_views["rsJobs"] = lambda c: [
            job_view(c, j) for j in c.state(RecoveryServicesState).jobs.values()
        ]


__all__ = ["RecoveryServicesProvider"]
