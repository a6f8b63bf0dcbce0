"""What an on-demand backup sends: the policy's backup rule and a retention tag, or a file share's expiry
(pure: no I/O).

``POST .../backupInstances/{name}/backup`` needs ``backupRuleOptions``: the name of the policy's
``AzureBackupRule`` that writes to the vault (``dataStore.dataStoreType`` ``VaultStore``) and a
``retentionTagOverride``, a tag of that rule's ``taggingCriteria`` (the default one unless the request names
another). A policy with no such rule (operational, continuous blob backup) has no on-demand backup: refused.

An Azure file share's ``POST {protectedItem}/backup`` (Recovery Services) names no rule: its
``recoveryPointExpiryTimeInUTC`` says how long the recovery point is kept (:func:`share_backup_expiry`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.errors import NotPossibleError


@dataclass(frozen=True)
class BackupRule:
    rule_name: str
    retention_tag: str
    tags: tuple[str, ...]


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def vault_backup_rule(policy: Any, retention_tag: str | None) -> BackupRule:
    """The rule and tag an on-demand backup under ``policy`` (a ``BaseBackupPolicyResource``) uses."""
    rules = _list(_dict(_dict(policy).get("properties")).get("policyRules"))
    for rule in map(_dict, rules):
        store = _dict(rule.get("dataStore")).get("dataStoreType")
        if rule.get("objectType") != "AzureBackupRule" or store != "VaultStore":
            continue
        criteria = [_dict(c) for c in _list(_dict(rule.get("trigger")).get("taggingCriteria"))]
        tags = tuple(str(_dict(c.get("tagInfo")).get("tagName")) for c in criteria if _dict(c.get("tagInfo")))
        default = next(
            (str(_dict(c.get("tagInfo")).get("tagName")) for c in criteria if c.get("isDefault")), None
        )
        tag = retention_tag or default or "Default"
        if retention_tag is not None and retention_tag not in tags:
            raise NotPossibleError(
                f"the policy's backup rule {rule.get('name')} has no retention tag {retention_tag!r}",
                errors=[{"field": "retentionTag", "reason": "not a tag of the policy"}],
                retentionTags=list(tags),
            )
        return BackupRule(str(rule.get("name")), tag, tags)
    raise NotPossibleError(
        "the backup policy has no scheduled backup to the vault (operational backup only), so there is no "
        "on-demand backup: its data is protected continuously",
        errors=[{"field": "resourceId", "reason": "the policy has no vault-tier backup rule"}],
    )


def adhoc_backup_body(rule: BackupRule) -> dict[str, Any]:
    """The ``TriggerBackupRequest``."""
    return {
        "backupRuleOptions": {
            "ruleName": rule.rule_name,
            "triggerOption": {"retentionTagOverride": rule.retention_tag},
        }
    }


# -- Azure file shares (Recovery Services) -------------------------------------------------------------

MAX_SHARE_RETENTION = timedelta(days=3650)  # on-demand backups of Azure Files are kept up to 10 years
DEFAULT_SHARE_RETENTION = timedelta(days=30)  # the portal's default, when the policy names no daily retention
_UNIT_DAYS = {"days": 1, "weeks": 7, "months": 30, "years": 365}


def _duration(value: Any) -> timedelta | None:
    count, unit = _dict(value).get("count"), str(_dict(value).get("durationType") or "").lower()
    if not isinstance(count, int) or isinstance(count, bool) or count <= 0 or unit not in _UNIT_DAYS:
        return None
    return timedelta(days=count * _UNIT_DAYS[unit])


def policy_daily_retention(policy: Any) -> timedelta | None:
    """How long an ``AzureFileShareProtectionPolicy`` keeps a daily backup (``LongTermRetentionPolicy``'s
    ``dailySchedule`` or a ``SimpleRetentionPolicy``'s duration), if it says."""
    retention = _dict(_dict(_dict(policy).get("properties")).get("retentionPolicy"))
    return _duration(_dict(retention.get("dailySchedule")).get("retentionDuration")) or _duration(
        retention.get("retentionDuration")
    )


def share_backup_expiry(policy: Any, requested: datetime | None, now: datetime) -> datetime:
    """When a file share's on-demand recovery point expires: ``requested`` (later than ``now``, at most 10
    years ahead), else the policy's daily retention from ``now`` (30 days when it names none)."""
    if requested is None:
        return now + (policy_daily_retention(policy) or DEFAULT_SHARE_RETENTION)
    if requested <= now or requested > now + MAX_SHARE_RETENTION:
        raise NotPossibleError(
            f"retainUntil must lie after now and at most 10 years ahead ({_utc(now)} .. "
            f"{_utc(now + MAX_SHARE_RETENTION)})",
            errors=[{"field": "retainUntil", "reason": "outside what the service keeps"}],
        )
    return requested


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def expiry_text(moment: datetime) -> str:
    """``recoveryPointExpiryTimeInUTC`` as the service's examples write it (``2020-03-07T18:29:59.000Z``)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
