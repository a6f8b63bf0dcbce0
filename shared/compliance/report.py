"""The sweep report: its documented JSON shape (``report.schema.json``), the summary, CSV, the gaps document.

A sweep writes three documents (see :mod:`shared.compliance.store` for where):

- ``report.json``: ``{schemaVersion, sweep, entries: [every resource in scope], summary}``, written as the
  entries are classified (the summary comes last, so it is streamed, never held whole);
- ``report.csv``: one row per entry, the same columns;
- ``gaps.json``: ``{schemaVersion, sweep, summary, gaps: [every entry that is a gap]}``, what the page a
  person reads and the remediation work from.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.compliance.classify import Classification, Entry
from shared.records import Record

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
CSV_COLUMNS = (
    "resourceId",
    "classification",
    "reason",
    "recommendedAction",
    "kind",
    "subscriptionId",
    "resourceGroup",
    "location",
    "rule",
    "vaultId",
    "policyId",
    "expectedVaultId",
    "expectedPolicyId",
    "protectionState",
    "lastBackupStatus",
    "lastBackupTime",
    "errorCode",
    "errorMessage",
)


@dataclass(frozen=True)
class SweepInfo(Record):
    """What the report says about the sweep itself."""

    id: str
    started_at: str
    trigger: str  # schedule | request | workstation
    subscriptions: list[str] = field(default_factory=list)
    management_groups: list[str] = field(default_factory=list)
    remediation: str = "off"
    finished_at: str | None = None
    notes: list[dict[str, str]] = field(default_factory=list)  # {source, note}

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "trigger": self.trigger,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "scope": {"subscriptions": self.subscriptions, "managementGroups": self.management_groups},
            "remediation": self.remediation,
            "notes": self.notes,
        }


def entry_view(entry: Entry) -> dict[str, Any]:
    """The documented JSON of one entry (camelCase, as every document of the API)."""
    return {
        "resourceId": entry.resource_id,
        "name": entry.name,
        "resourceType": entry.resource_type,
        "kind": entry.kind,
        "subscriptionId": entry.subscription_id,
        "resourceGroup": entry.resource_group,
        "location": entry.location,
        "classification": entry.classification.value,
        "gap": entry.gap,
        "reason": entry.reason,
        "recommendedAction": entry.recommended_action,
        "rule": entry.rule,
        "vaultId": entry.vault_id,
        "policyId": entry.policy_id,
        "expectedVaultId": entry.expected_vault_id,
        "expectedPolicyId": entry.expected_policy_id,
        "backupInstanceId": entry.backup_instance_id,
        "protectionState": entry.protection_state,
        "lastBackup": entry.last_backup,
        "error": entry.error,
    }


def csv_row(view: dict[str, Any]) -> list[str]:
    last = view.get("lastBackup") or {}
    error = view.get("error") or {}
    values = {
        **view,
        "recommendedAction": " | ".join(view.get("recommendedAction") or []),
        "lastBackupStatus": last.get("status"),
        "lastBackupTime": last.get("endTime") or last.get("startTime"),
        "errorCode": error.get("code"),
        "errorMessage": error.get("message"),
    }
    return [_csv_safe(values.get(c)) for c in CSV_COLUMNS]


def _csv_safe(value: Any) -> str:
    """A cell as text; one that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass
class Summary:
    """Counts as the entries go by: in total, by classification, by subscription and by kind."""

    total: int = 0
    gaps: int = 0
    by_classification: Counter[str] = field(default_factory=Counter)
    by_subscription: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_kind: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, entry: Entry) -> None:
        value = entry.classification.value
        self.total += 1
        self.gaps += entry.gap
        self.by_classification[value] += 1
        self.by_subscription[entry.subscription_id or "-"][value] += 1
        self.by_kind[entry.kind or "-"][value] += 1

    def view(self, subscription_names: dict[str, str] | None = None) -> dict[str, Any]:
        names = subscription_names or {}
        return {
            "total": self.total,
            "gaps": self.gaps,
            "byClassification": {c.value: self.by_classification.get(c.value, 0) for c in Classification},
            "bySubscription": [
                {"subscriptionId": sub, "displayName": names.get(sub.lower(), sub), "counts": dict(counts)}
                for sub, counts in sorted(self.by_subscription.items())
            ],
            "byKind": [{"kind": k, "counts": dict(counts)} for k, counts in sorted(self.by_kind.items())],
        }


class ReportWriter:
    """Streams ``report.json`` and ``report.csv`` chunk by chunk and keeps the gaps and the summary."""

    def __init__(self, sweep: SweepInfo) -> None:
        self.sweep = sweep
        self.summary = Summary()
        self.gaps: list[dict[str, Any]] = []
        self._first = True

    def opening(self) -> tuple[bytes, bytes]:
        """The first chunk of the JSON report and of the CSV."""
        head = json.dumps({"schemaVersion": SCHEMA_VERSION, "sweep": self.sweep.view()})[:-1]
        return (head + ', "entries": [').encode(), _csv_line(list(CSV_COLUMNS))

    def add(self, entries: Iterable[Entry]) -> tuple[bytes, bytes]:
        """The chunks that carry these entries."""
        json_parts: list[str] = []
        csv_parts: list[bytes] = []
        for entry in entries:
            self.summary.add(entry)
            view = entry_view(entry)
            if entry.gap:
                self.gaps.append(view)
            json_parts.append(("" if self._first else ",") + json.dumps(view))
            self._first = False
            csv_parts.append(_csv_line(csv_row(view)))
        return "".join(json_parts).encode(), b"".join(csv_parts)

    def closing(self, subscription_names: dict[str, str]) -> bytes:
        return ("], " + json.dumps({"summary": self.summary.view(subscription_names)})[1:]).encode()

    def gaps_document(self, subscription_names: dict[str, str]) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "sweep": self.sweep.view(),
            "summary": self.summary.view(subscription_names),
            "gaps": self.gaps,
        }


def _csv_line(cells: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue().encode()


def unprotected(gaps_document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The gaps remediation sends through the protection pipeline: unprotected, with a vault to go to."""
    for gap in gaps_document.get("gaps", []):
        # Without a vault for it (none in its region) the pipeline would only skip it again.
        if gap.get("classification") == Classification.UNPROTECTED.value and gap.get("expectedVaultId"):
            yield gap
