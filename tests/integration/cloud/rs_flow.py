"""Shared seed and helpers for the Recovery Services flow tests (seeds/004 with the emulator's names)."""

from __future__ import annotations

from typing import Any

SUB = "00000000-0000-0000-0000-0000000000a4"
RG = "azurefiles"
VAULT = (
    f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.RecoveryServices/vaults/azurefilesvault"
)
ACCOUNT = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Storage/storageAccounts/testvault2"
API = "2025-08-01"

SEED: dict[str, Any] = {
    "config": {
        "time_factor": 1,
        "retry_after_seconds": 0,
        "durations": {"backup_job": 0.3, "restore_job": 0.3},
    },
    "subscriptions": [
        {
            "id": SUB,
            "resourceGroups": [
                {
                    "name": RG,
                    "location": "westeurope",
                    "storageAccounts": [
                        {"name": "testvault2", "kind": "StorageV2", "fileShares": ["testshare", "other"]},
                        {"name": "afaccount1", "kind": "StorageV2", "fileShares": ["azurefiles1"]},
                    ],
                    "recoveryServicesVaults": [
                        {"name": "azurefilesvault", "policies": [{"name": "schedule1"}]}
                    ],
                }
            ],
        }
    ],
}
