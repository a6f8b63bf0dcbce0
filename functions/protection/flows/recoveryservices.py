"""The Recovery Services vault flow: Azure file shares, as in seeds/004.

refreshContainers (tracked by Location) -> protectableContainers: the account's container -> register it
(PUT, tracked) unless backupProtectionContainers says it is registered -> inquire (tracked) ->
backupProtectableItems: the share's container and item names -> PUT protectedItems (tracked through the
Azure-AsyncOperation URL as given) -> read the protected item until its protection state is configured.

A share the vault cannot see yet (the account not discovered, the share not inquired) is looked for again
after a durable timer, a bounded number of rounds. A refusal for missing permissions (register or protect)
grants the vault identity its role when the settings allow it, as for every kind.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from typing import Any

from functions.protection.recoveryservices_activities import ContainerCall, Found, ProtectedShare, VaultCall
from functions.protection.run import ProtectionRun, missing_permissions
from shared.arm.ids import parse_resource_id
from shared.errors import ArmError, BackupAutopilotError, Classification
from shared.protection.holder import Holder
from shared.protection.messages import OutcomeKind, ProtectionOutcome
from shared.services import recoveryservices as rs
from shared.services import resourcegraph as rg

MAX_DISCOVERY_ROUNDS = 4  # refresh + look-ups, then again after a timer while the share is not discoverable
REDISCOVER_SECONDS = 60.0
MAX_ATTEMPTS = 4  # a PUT, and again while granted roles propagate or after a retryable failure
RETRY_SECONDS = 60.0
MAX_CONFIRM_CHECKS = 10  # reads of the protected item until its state is configured
CONFIRM_SECONDS = 30.0
HOLDER_ACTIVITY = "find_share_holder"
REGISTER_ACTIVITY = "rs_register_container"
PROTECT_ACTIVITY = "rs_protect_share"
NOT_DISCOVERABLE_CODE = "FileShareNotDiscoverable"
_FAILED_STATES = frozenset({"protectionerror", "protectionstopped", "protectionpaused", "backupssuspended"})

Located = tuple[str, str]  # (container name, item name), as the service gave them


class _Share:
    """The share of one run: its storage account, its name, and what was learnt about its container."""

    def __init__(self, run: ProtectionRun) -> None:
        plan = run.plan
        assert plan is not None and plan.vault_id is not None and plan.instance is not None
        self.run = run
        self.vault_id = plan.vault_id
        self.body = plan.instance
        self.account_id, self.name = rs.share_location(run.datasource_id)
        self.container_note = ""

    def vault_call(self) -> VaultCall:
        return VaultCall(self.vault_id, self.account_id, self.name, self.run.correlation_id)

    def container_call(
        self, container: str, item: str = "", body: dict[str, Any] | None = None
    ) -> ContainerCall:
        return ContainerCall(self.vault_id, container, item, body, self.run.correlation_id)


def protect(run: ProtectionRun) -> Generator[Any, Any, ProtectionOutcome]:
    share = _Share(run)
    for round_number in range(1, MAX_DISCOVERY_ROUNDS + 1):
        found = yield from discover(share, round_number)
        if isinstance(found, ProtectionOutcome):
            return found
        if found is not None:
            return (yield from enable(share, *found))
        if round_number < MAX_DISCOVERY_ROUNDS:
            run.phase("waiting_for_discovery", round=round_number, seconds=REDISCOVER_SECONDS)
            yield run.wait(REDISCOVER_SECONDS)
    minutes = (MAX_DISCOVERY_ROUNDS - 1) * REDISCOVER_SECONDS / 60
    message = (
        f"the vault did not discover file share {share.name} of {share.account_id} after "
        f"{MAX_DISCOVERY_ROUNDS} refreshes over {minutes:g} minutes"
    )
    error = ArmError(status=200, code=NOT_DISCOVERABLE_CODE, message=message)
    return run.outcome(OutcomeKind.FAILED, message, error)


def discover(share: _Share, round_number: int) -> Generator[Any, Any, ProtectionOutcome | Located | None]:
    """One round: refresh, the container (registered if needed), inquire, the share's names. None: the
    vault does not see the share yet."""
    run = share.run
    run.phase("refreshing_containers", round=round_number)
    refreshed = yield from run.start_and_track("rs_refresh_containers", share.vault_call())
    if refreshed.error is not None:
        return run.failed(refreshed.error, "refreshing the vault's containers failed")
    container = yield from container_of(share)
    if container is None or isinstance(container, ProtectionOutcome):
        return container
    run.phase("inquiring", container=container)
    inquired = yield from run.start_and_track("rs_inquire", share.container_call(container))
    if inquired.error is not None:
        return run.failed(inquired.error, "inquiring the storage account's file shares failed")
    found: Found = yield run.call("rs_find_protectable_share", share.vault_call())
    if found.error is not None:
        return run.failed(found.error, "listing the protectable items failed")
    if found.container_name and found.item_name:
        return found.container_name, found.item_name
    protected: ProtectedShare = yield run.call("rs_find_protected_share", share.vault_call())
    if protected.error is not None:
        return run.failed(protected.error, "listing the protected items failed")
    if protected.found:
        holder = Holder(
            True, protected.item_id, share.vault_id, protected.policy_id, state=protected.protection_state
        )
        return already_protected(share, holder, None)
    return None


def container_of(share: _Share) -> Generator[Any, Any, ProtectionOutcome | str | None]:
    """The name of the storage account's container in the vault: registered now, or already. None: the
    vault has not discovered the account."""
    run = share.run
    protectable: Found = yield run.call("rs_find_protectable_container", share.vault_call())
    if protectable.error is not None:
        return run.failed(protectable.error, "listing the protectable containers failed")
    if protectable.container_name is None:
        registered: Found = yield run.call("rs_find_registered_container", share.vault_call())
        if registered.error is not None:
            return run.failed(registered.error, "listing the registered containers failed")
        if registered.container_name is not None and not share.container_note:
            share.container_note = f"container {registered.container_name} was registered already"
        return registered.container_name
    name = protectable.container_name
    body = rs.register_container_body(share.account_id, parse_resource_id(share.account_id).name)
    refused = yield from attempt_until_done(
        share,
        REGISTER_ACTIVITY,
        share.container_call(name, body=body),
        rs.CONTAINER_IN_ANOTHER_VAULT,
        "registering the storage account with the vault failed",
        phase={"phase": "registering_container", "container": name},
    )
    if refused is not None:
        return refused
    share.container_note = f"container {name} registered"
    return name


def enable(share: _Share, container: str, item: str) -> Generator[Any, Any, ProtectionOutcome]:
    """PUT the protected item, then confirm its state."""
    refused = yield from attempt_until_done(
        share,
        PROTECT_ACTIVITY,
        share.container_call(container, item, share.body),
        rs.ITEM_IN_ANOTHER_VAULT,
        "enabling protection of the file share failed",
        phase={"phase": "enabling_protection", "item": item},
    )
    if refused is not None:
        return refused
    return (yield from confirm(share, rs.protected_item_id(share.vault_id, container, item)))


def attempt_until_done(
    share: _Share,
    activity: str,
    call: ContainerCall,
    elsewhere_code: str,
    failure: str,
    *,
    phase: dict[str, str],
) -> Generator[Any, Any, ProtectionOutcome | None]:
    """An idempotent PUT started and tracked; again (bounded) after granting missing roles and their
    propagation wait, or after a failure the service marks retryable. None: it succeeded."""
    run = share.run
    for attempt in range(1, MAX_ATTEMPTS + 1):
        run.phase(phase["phase"], **{k: v for k, v in phase.items() if k != "phase"}, attempt=attempt)
        result = yield from run.start_and_track(activity, call)
        error = result.error
        if error is None:
            return None
        if isinstance(error, ArmError) and error.has_code(elsewhere_code):
            return (yield from held_elsewhere(share, error))
        if error.classification is Classification.TRANSIENT and attempt < MAX_ATTEMPTS:
            yield run.wait(RETRY_SECONDS)
            continue
        if not missing_permissions(error):
            return run.failed(error, failure)
        refused = yield from run.after_missing_permissions(error, attempt, MAX_ATTEMPTS, rs.VAULT_API_VERSION)
        if refused is not None:
            return refused
    raise AssertionError("unreachable: the last attempt returns")


def confirm(share: _Share, item_id: str) -> Generator[Any, Any, ProtectionOutcome]:
    """Protected once the item's protection state is configured (``IRPending`` until the first backup)."""
    run = share.run
    state = ""
    for check_number in range(1, MAX_CONFIRM_CHECKS + 1):
        run.phase("confirming_protection", checks=check_number)
        read: ProtectedShare = yield run.call(
            "rs_read_protected_item", run.read_request(item_id, rs.API_VERSION)
        )
        if read.error is not None:
            return run.failed(read.error, "reading the protected item failed")
        state = read.protection_state or ("" if read.found else "NotFound")
        if state.lower() in rs.CONFIGURED_STATES:
            plan = run.plan
            assert plan is not None
            reason = f"protected by rule {plan.rule} (protection state {state}; {share.container_note})"
            return replace(run.outcome(OutcomeKind.PROTECTED, reason), backup_instance_id=item_id)
        if state.lower() in _FAILED_STATES or not read.found:
            error = ArmError(status=200, code=state, message=f"the protected item is {state}")
            return run.outcome(OutcomeKind.FAILED, f"protection state is {state}", error)
        if check_number < MAX_CONFIRM_CHECKS:
            yield run.wait(CONFIRM_SECONDS)
    minutes = (MAX_CONFIRM_CHECKS - 1) * CONFIRM_SECONDS / 60
    error = ArmError(
        status=200, code="ProtectionNotSettled", message=f"still {state} after {minutes:g} minutes"
    )
    return run.outcome(
        OutcomeKind.FAILED, f"protection had not settled: still {state} after {minutes:g} minutes", error
    )


def held_elsewhere(share: _Share, error: BackupAutopilotError) -> Generator[Any, Any, ProtectionOutcome]:
    """The service says another vault has the account or the share: who, from Resource Graph."""
    run = share.run
    holder: Holder = yield run.call(HOLDER_ACTIVITY, run.read_request(run.datasource_id, rg.API_VERSION))
    if not holder.found:
        return run.failed(error, "the storage account is registered with another Recovery Services vault")
    return already_protected(share, holder, error)


def already_protected(share: _Share, holder: Holder, error: BackupAutopilotError | None) -> ProtectionOutcome:
    reason = f"already protected by {holder.policy_id} as {holder.backup_instance_id}"
    outcome = share.run.held_by(holder, error, reason)
    if outcome.kind is OutcomeKind.ALREADY_PROTECTED:
        return replace(outcome, backup_instance_id=holder.backup_instance_id)
    return outcome


def recheck(run: ProtectionRun, known: str) -> Generator[Any, Any, ProtectionOutcome | None]:
    """One read of the protected item a settled protection left: unchanged, or None (protect again)."""
    check: ProtectedShare = yield run.call("rs_read_protected_item", run.read_request(known, rs.API_VERSION))
    state = check.protection_state or ""
    if check.error is None and check.found and state.lower() in rs.CONFIGURED_STATES:
        outcome = run.outcome(OutcomeKind.UNCHANGED, f"re-checked: {known} is still {state}")
        return replace(outcome, backup_instance_id=known)
    return None
