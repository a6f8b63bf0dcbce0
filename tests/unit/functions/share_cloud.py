"""A scripted Recovery Services cloud for ``protect_datasource`` on a file share (seeds/004's flow).

``ShareCloud.answer(name, payload)`` answers each activity with the record the real one would return; the
plan comes from the real ``plan_protection`` over the demo rules. Lists of answers are consumed in turn
(the last one repeats), so a test states only what differs from the walkthrough.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from functions.protection.activities import VaultPrincipal
from functions.protection.recoveryservices_activities import ContainerCall, Found, ProtectedShare, VaultCall
from functions.tracking import PollRequest
from shared.arm.operations import AsyncOperation
from shared.arm.steps import OperationPoll, OperationStarted, ResourceRead, RoleAssigned
from shared.errors import ArmError, BackupAutopilotError
from shared.protection.holder import Holder
from shared.protection.messages import (
    ProtectionOptions,
    ProtectionRequest,
    ProtectionStart,
    ReadRequest,
)
from shared.protection.plan import PlanRead, plan_after_read
from tests.unit.functions.history import Call
from tests.unit.functions.protection_cloud import RULES, SUBSCRIPTION

SHARE_TYPE = "Microsoft.Storage/storageAccounts/fileServices/shares"
ACCOUNT_ID = f"{SUBSCRIPTION}/resourceGroups/rg-data-weu/providers/Microsoft.Storage/storageAccounts/stfiles"
SHARE_ID = f"{ACCOUNT_ID}/fileServices/default/shares/orders"
RS_VAULT = f"{SUBSCRIPTION}/resourceGroups/rg-backup-weu/providers/Microsoft.RecoveryServices/vaults/rsv-weu"
POLICY = f"{RS_VAULT}/backupPolicies/daily-shares"
RULE = "prod-file-shares-westeurope"
CONTAINER = "StorageContainer;Storage;rg-data-weu;stfiles"
ITEM = "azurefileshare;orders"
ITEM_ID = f"{RS_VAULT}/backupFabrics/Azure/protectionContainers/{CONTAINER}/protectedItems/{ITEM}"
SHARE: dict[str, Any] = {
    "id": SHARE_ID,
    "name": "orders",
    "type": SHARE_TYPE,
    "properties": {"shareQuota": 100},
}
ACCOUNT: dict[str, Any] = {"id": ACCOUNT_ID, "location": "westeurope", "kind": "StorageV2", "tags": {}}
ROLE = {
    "scopeId": ACCOUNT_ID,
    "roleName": "Storage Account Backup Contributor",
    "roleDefinitionGuid": "e5e2a7ff-d759-4cd2-bb51-3152d37e2eb1",
}
REFRESH_URL = "http://arm.local/rs/refresh/operationResults/1"
URLS = {
    "rs_register_container": "http://arm.local/rs/register/operationsStatus/2",
    "rs_inquire": "http://arm.local/rs/inquire/operationsStatus/3",
    "rs_protect_share": "http://arm.local/rs/protect/operationsStatus/4",
}

# The activities (and timers) of a share protected as in seeds/004, in order.
HAPPY = [
    "read_and_plan",  # the share
    "read_and_plan",  # its storage account: location and tags (then the plan)
    "rs_refresh_containers",
    "timer",
    "poll_operation",
    "rs_find_protectable_container",
    "rs_register_container",
    "timer",
    "poll_operation",
    "rs_inquire",
    "timer",
    "poll_operation",
    "rs_find_protectable_share",
    "rs_protect_share",
    "timer",
    "poll_operation",
    "rs_read_protected_item",
    "publish_protection_outcome",
]


def start_share(*, grant: bool = False, propagation: float = 60.0, origin: str = "event") -> ProtectionStart:
    request = ProtectionRequest(SHARE_ID, SHARE_TYPE, correlation_id="c-9", origin=origin)
    return ProtectionStart(request, ProtectionOptions(grant, propagation, False))


def missing_permissions() -> ArmError:
    return ArmError(
        status=400,
        code="UserErrorMissingRequiredPermissions",
        message="Appropriate permissions to perform the operation is missing.",
    )


def _take(answers: list[Any]) -> Any:
    return answers.pop(0) if len(answers) > 1 else answers[0]


class ShareCloud:
    """Scripted answers; each list is consumed in turn and its last entry repeats."""

    def __init__(
        self,
        *,
        refresh_running: int = 0,
        retry_after: float = 5.0,
        protectable: list[str | None] | None = None,
        registered: list[str | None] | None = None,
        shares: list[tuple[str, str] | None] | None = None,
        protected: ProtectedShare | None = None,
        errors: Mapping[str, Sequence[BackupAutopilotError | None]] | None = None,
        states: list[str] | None = None,
        holder: Holder | None = None,
    ) -> None:
        self.refresh_running = refresh_running  # Location polls that answer 202 before the 204
        self.retry_after = retry_after
        self.protectable = list(protectable or [CONTAINER])
        self.registered = list(registered or [None])
        self.shares = list(shares or [(CONTAINER, ITEM)])
        self.protected = protected or ProtectedShare()
        self.errors = {k: list(v) for k, v in (errors or {}).items()}  # poll results per starting activity
        self.states = list(states or ["IRPending"])
        self.holder = holder or Holder()

    def answer(self, name: str, payload: Any) -> Any:
        match name:
            case "read_and_plan":
                assert isinstance(payload, PlanRead)
                body = SHARE if payload.resource_id == SHARE_ID else ACCOUNT
                return plan_after_read(payload, ResourceRead(found=True, resource=body), RULES)
            case "rs_refresh_containers":
                assert isinstance(payload, VaultCall)
                return OperationStarted(202, operation=AsyncOperation(None, REFRESH_URL, self.retry_after))
            case "rs_register_container" | "rs_inquire" | "rs_protect_share":
                assert isinstance(payload, ContainerCall)
                return OperationStarted(202, operation=AsyncOperation(URLS[name], None, self.retry_after))
            case "poll_operation":
                assert isinstance(payload, PollRequest)
                return self.poll(payload.operation)
            case "rs_find_protectable_container":
                return Found(_take(self.protectable))
            case "rs_find_registered_container":
                return Found(_take(self.registered))
            case "rs_find_protectable_share":
                found = _take(self.shares)
                return Found(*(found or (None, None)))
            case "rs_find_protected_share":
                return self.protected
            case "rs_read_protected_item":
                assert isinstance(payload, ReadRequest)
                return ProtectedShare(True, payload.resource_id, POLICY, _take(self.states))
            case "find_share_holder":
                return self.holder
            case "read_vault_principal":
                return VaultPrincipal(principal_id="p-rs")
            case "assign_role":
                return RoleAssigned()
            case "publish_protection_outcome":
                return None
        raise AssertionError(f"unexpected activity {name}")

    def poll(self, operation: AsyncOperation) -> OperationPoll:
        if operation.result_url == REFRESH_URL:
            if self.refresh_running > 0:
                self.refresh_running -= 1
                moved = AsyncOperation(None, REFRESH_URL, self.retry_after + 1)
                return OperationPoll(done=False, retry_after_seconds=self.retry_after + 1, operation=moved)
            return OperationPoll(done=True, succeeded=True, status="Succeeded")
        starter = next(k for k, url in URLS.items() if url == operation.status_url)
        error = _take(self.errors[starter]) if self.errors.get(starter) else None
        return OperationPoll(done=True, succeeded=error is None, error=error)

    def for_replay(self, call: Call) -> Any:
        return self.answer(call.name, call.input)
