"""Backup-policy bodies by template name, for seeding (shapes from the spec examples and pgflex capture)."""

from __future__ import annotations

import copy
from typing import Any

_STORE = {"objectType": "DataStoreInfoBase"}


def _retention(store: str, duration: str) -> dict[str, Any]:
    return {
        "name": "Default",
        "objectType": "AzureRetentionRule",
        "isDefault": True,
        "lifecycles": [
            {
                "deleteAfter": {"duration": duration, "objectType": "AbsoluteDeleteOption"},
                "sourceDataStore": {**_STORE, "dataStoreType": store},
                "targetDataStoreCopySettings": [],
            }
        ],
    }


def _backup_rule(name: str, interval: str, backup_type: str) -> dict[str, Any]:
    return {
        "name": name,
        "objectType": "AzureBackupRule",
        "backupParameters": {"backupType": backup_type, "objectType": "AzureBackupParams"},
        "dataStore": {**_STORE, "dataStoreType": "VaultStore"},
        "trigger": {
            "objectType": "ScheduleBasedTriggerContext",
            "schedule": {
                "repeatingTimeIntervals": [f"R/2024-01-01T02:00:00+00:00/{interval}"],
                "timeZone": "UTC",
            },
            "taggingCriteria": [
                {
                    "isDefault": True,
                    "tagInfo": {"id": "Default_", "tagName": "Default"},
                    "taggingPriority": 99,
                }
            ],
        },
    }


TEMPLATES: dict[str, dict[str, Any]] = {
    "blob_operational": {
        "objectType": "BackupPolicy",
        "datasourceTypes": ["Microsoft.Storage/storageAccounts/blobServices"],
        "policyRules": [_retention("OperationalStore", "P30D")],
    },
    "blob_vaulted": {
        "objectType": "BackupPolicy",
        "datasourceTypes": ["Microsoft.Storage/storageAccounts/blobServices"],
        "policyRules": [_backup_rule("BackupDaily", "P1D", "Discrete"), _retention("VaultStore", "P30D")],
    },
    "postgresql": {
        "objectType": "BackupPolicy",
        "datasourceTypes": ["Microsoft.DBforPostgreSQL/servers/databases"],
        "policyRules": [_backup_rule("BackupWeekly", "P1W", "Full"), _retention("VaultStore", "P3M")],
    },
    "postgresql_flex": {
        "objectType": "BackupPolicy",
        "datasourceTypes": ["Microsoft.DBforPostgreSQL/flexibleServers"],
        "policyRules": [_backup_rule("BackupHourly", "PT12H", "Full"), _retention("VaultStore", "P30D")],
    },
}


def policy_properties(template: str) -> dict[str, Any]:
    if template not in TEMPLATES:
        raise KeyError(f"unknown policy template {template!r}; known: {sorted(TEMPLATES)}")
    return copy.deepcopy(TEMPLATES[template])
