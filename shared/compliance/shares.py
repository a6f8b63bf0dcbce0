"""The file shares a sweep reports: which storage accounts to list, and one page of an account's shares.

Resource Graph indexes no ``microsoft.storage/storageaccounts/fileservices/shares`` (they are in no table),
while the Recovery Services protected items that protect shares are in ``RecoveryServicesResources`` (read
with the backup instances, :attr:`shared.compliance.inventory.Source.BACKUP_INSTANCES`). So the shares
themselves are listed through ARM, but only for the accounts that matter:

- ``plan_share_lists`` (no ARM call): from the staged pages, the accounts in scope that a file-share rule
  can match (a share takes its account's subscription, group, location and tags, so one evaluation per
  account decides for every share in it) or that a protected item names (to tell a protected share from an
  orphan). Their rows are staged (``shareAccounts``) for the classification, which takes each share's
  location and tags from them. An account a protected item names that Resource Graph does not list is gone:
  its items are orphans without a call.
- ``list_shares``: one ARM call, one page of one account's shares (``nextLink`` for the next), staged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from shared.arm.client import ArmClient
from shared.arm.ids import parse_resource_id
from shared.arm.steps import answers_errors
from shared.compliance import inventory
from shared.compliance.inventory import Source
from shared.compliance.store import Store, page_path, pages, pages_prefix, put_json
from shared.errors import BackupAutopilotError
from shared.protection.kinds import BackupService
from shared.protection.rules import Rules, SkipReason, vault_service
from shared.records import Record
from shared.services import recoveryservices as rs

ACCOUNTS = "shareAccounts"  # the staged rows of the accounts whose shares are listed
SHARES = "shares"  # the staged pages of shares
ACCOUNTS_PER_PAGE = 1000
MAX_SHARE_PAGES = 1000  # per account: a guard against a nextLink that never ends
_NO_FILE_SERVICE = "blockblobstorage"  # premium block blob accounts have no file service
_PROBE = "/fileServices/default/shares/probe"


@dataclass(frozen=True)
class SharePlanRequest(Record):
    sweep_id: str


@dataclass(frozen=True)
class SharePlan(Record):
    accounts: list[str]  # the storage account ids whose shares to list, in scope


def account_of_share(share_key: str) -> str:
    """The account key of a share key (``.../storageaccounts/{a}/fileservices/default/shares/{s}``)."""
    return share_key.split("/fileservices/", 1)[0]


def share_rule_can_match(rules: Rules, account: Mapping[str, Any]) -> bool:
    """Whether a file-share rule covers the shares of this account (protect, or covered without a vault in
    the region: both are classified, the second as a gap)."""
    if str(account.get("kind") or "").lower() == _NO_FILE_SERVICE:
        return False
    tags = account.get("tags")
    decision = rules.evaluate(
        resource_id=f"{account['id']}{_PROBE}",
        resource_type=rs.SHARE_TYPE,
        location=str(account.get("location") or "") or None,
        tags=tags if isinstance(tags, Mapping) else None,
    )
    return decision.protect or decision.skip_reason is SkipReason.NO_VAULT_IN_REGION


def rules_cover_shares(rules: Rules) -> bool:
    """Whether any rule can match a file share: its vault is a Recovery Services vault and it names the share
    type or no type (rules match only the kinds their vault's service backs up)."""
    for rule in rules.document.get("rules") or []:
        types = [str(t).lower() for t in (rule.get("match") or {}).get("resourceTypes") or []]
        service = vault_service(str(rule["vault"]["id"]))
        if service is BackupService.RECOVERY_SERVICES and (not types or rs.SHARE_TYPE.lower() in types):
            return True
    return False


def _account_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """What a share takes from its account: location and tags (and where it lives)."""
    return {k: row.get(k) for k in ("id", "location", "tags", "subscriptionId", "resourceGroup")}


async def plan_share_lists(store: Store, rules: Rules, request: SharePlanRequest) -> SharePlan:
    named: set[str] = set()  # account keys protected items name
    async for page in pages(store, pages_prefix(request.sweep_id, Source.BACKUP_INSTANCES.value)):
        named.update(account_of_share(str(r["datasource"])) for r in page if r.get("jobKey"))
    if not named and not rules_cover_shares(rules):
        return SharePlan([])  # nothing to list: the datasource pages need not be read
    chosen: dict[str, dict[str, Any]] = {}  # account key -> row (overlapping scopes list an account twice)
    async for page in pages(store, pages_prefix(request.sweep_id, Source.DATASOURCES.value)):
        for row in page:
            if str(row.get("type") or "").lower() != inventory.STORAGE_ACCOUNT_TYPE:
                continue
            key = parse_resource_id(str(row["id"])).key()
            if key not in chosen and (key in named or share_rule_can_match(rules, row)):
                chosen[key] = _account_row(row)
    rows = list(chosen.values())
    for number, first in enumerate(range(0, len(rows), ACCOUNTS_PER_PAGE)):
        chunk = rows[first : first + ACCOUNTS_PER_PAGE]
        await put_json(store, page_path(request.sweep_id, ACCOUNTS, 0, number), chunk)
    return SharePlan([str(r["id"]) for r in rows])


@dataclass(frozen=True)
class ShareListRequest(Record):
    sweep_id: str
    account_id: str
    index: int  # the account's place in the plan (names its staged pages)
    page: int = 0
    next_link: str | None = None
    correlation_id: str | None = None


@dataclass(frozen=True)
class ShareListResult(Record):
    shares: int = 0
    next_link: str | None = None
    error: BackupAutopilotError | None = None


@answers_errors(lambda error: ShareListResult(error=error))
async def list_shares(arm: ArmClient, store: Store, request: ShareListRequest) -> ShareListResult:
    """One page of the account's shares, as datasource rows (a share has no location or tags of its own:
    ``parent`` names the account they come from)."""
    if request.next_link:
        response = await arm.get(request.next_link)  # the link carries its own api-version
    else:
        path = inventory.shares_path(request.account_id)
        response = await arm.get(path, api_version=inventory.STORAGE_API_VERSION)
    account = parse_resource_id(request.account_id)
    body = response.body if isinstance(response.body, dict) else {}
    rows = list(_share_rows(account.canonical(), account.key(), body.get("value")))
    await put_json(store, page_path(request.sweep_id, SHARES, request.index, request.page), rows)
    link = body.get("nextLink")
    return ShareListResult(len(rows), link if isinstance(link, str) and link else None)


def _share_rows(account_id: str, account_key: str, values: Any) -> Iterator[dict[str, Any]]:
    for share in values if isinstance(values, list) else []:
        if not isinstance(share, dict) or not isinstance(share.get("name"), str) or not share["name"]:
            continue
        yield {
            "id": f"{account_id}/fileServices/default/shares/{share['name']}",
            "name": share["name"],
            "type": rs.SHARE_TYPE,
            "subscriptionId": parse_resource_id(account_id).subscription,
            "parent": account_key,
            "properties": share.get("properties") if isinstance(share.get("properties"), dict) else {},
        }


async def list_every_share(
    arm: ArmClient, store: Store, sweep_id: str, accounts: list[str], correlation_id: str | None = None
) -> dict[str, str]:
    """``list_shares`` for every page of every account, one after the other (the workstation sweep; the
    orchestration fans them out itself); the accounts that could not be listed, with the reason."""
    unlisted: dict[str, str] = {}
    for index, account in enumerate(accounts):
        request: ShareListRequest | None = ShareListRequest(sweep_id, account, index, 0, None, correlation_id)
        while request is not None:
            result = await list_shares(arm, store, request)
            if result.error is not None or (result.next_link and request.page + 1 >= MAX_SHARE_PAGES):
                unlisted[account] = result.error.message if result.error else "too many pages of shares"
                break
            request = (
                ShareListRequest(sweep_id, account, index, request.page + 1, result.next_link, correlation_id)
                if result.next_link
                else None
            )
    return unlisted
