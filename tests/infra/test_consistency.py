"""The templates against the code: the settings set are the settings read, the roles the condition allows are
the roles the code grants, the event filter is the kind table, the queues and containers are the app's."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from functions.protection.queues import (
    PROTECTION_REJECTS,
    PROTECTION_REQUESTS,
    PROTECTION_REQUESTS_POISON,
    RESOURCE_EVENTS,
)
from shared.config import Settings
from shared.events import PROTECTION_EVENT_TYPES, RESTORE_FAILED
from shared.locks import CONTAINER as INSTANCE_LOCKS_CONTAINER
from shared.protection.kinds import KINDS
from shared.protection.messages import OutcomeKind
from tests.infra.bicep import (
    APP,
    MAIN,
    ONBOARDING,
    config,
    load_json,
    modules,
    parameter_default,
    resources,
    variable,
)
from tests.paths import REPO_ROOT

API = APP / "api.bicep"
# App settings read by the Functions host, the platform or azure-identity rather than by shared/config.py.
# AZURE_CLIENT_ID: DefaultAzureCredential picks the user-assigned identity with it; COMPLIANCE_SCHEDULE: the
# timer binding reads it (%COMPLIANCE_SCHEDULE%, checked below).
READ_OUTSIDE_CONFIG = {"AZURE_CLIENT_ID", "COMPLIANCE_SCHEDULE"}
# Settings shared/config.py reads that the deployment leaves unset on purpose: tuning knobs whose defaults are
# meant for Azure, settings for the local emulator only, and the alternatives to what platformSettings sets.
LEFT_AT_THEIR_DEFAULTS = {
    "ARM_AUDIENCE",  # derived from ARM_ENDPOINT
    "ARM_SCOPE",  # derived from ARM_AUDIENCE
    "ARM_LOCAL_TOKEN",  # ARM_CREDENTIAL=local (the emulator) only
    "RESTORE_POLLS_PER_GENERATION",
    "PROTECTION_STOP_ORPHANS",  # opt-in, off by default: set it as an app setting to stop orphans' protection
    "PROTECTION_FIRST_BACKUP",  # opt-in, off by default: a backup right after protecting (vault tier)
    "ARM_WRITES_PER_SECOND",
    "ARM_READS_PER_SECOND",
    "ARM_BURST",
    "ARM_MAX_RETRIES",
    "ARM_MAX_RETRY_WAIT_SECONDS",
    "ARM_TIMEOUT_SECONDS",
    "ARM_POLL_DEFAULT_SECONDS",
    "ARM_POLL_MIN_SECONDS",
    "ARM_POLL_MAX_SECONDS",
    "ROLE_PROPAGATION_SECONDS",
    "COMPLIANCE_REMEDIATION_PER_SECOND",
    "AzureWebJobsStorage",  # a connection string with a key: the deployment is identity-based (__*ServiceUri)
    "AzureWebJobsStorage__accountName",  # the alternative to the service URIs platformSettings sets
}


class _RecordingEnv(Mapping[str, str]):
    """An empty environment that remembers every name ``Settings.from_env`` asks for."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return default

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def settings_the_app_reads() -> set[str]:
    env = _RecordingEnv()
    Settings.from_env(env)
    assert len(env.asked) > 20  # the recorder saw the reads
    return env.asked


def test_the_app_settings_set_are_exactly_the_settings_the_app_reads() -> None:
    application = set(variable(API, "applicationSettings"))
    platform = set(variable(API, "platformSettings"))
    read = settings_the_app_reads()
    unread = application - read - READ_OUTSIDE_CONFIG
    assert not unread, f"set by infra/app/api.bicep but never read by shared/config.py: {sorted(unread)}"
    unset = read - application - platform - LEFT_AT_THEIR_DEFAULTS
    assert not unset, (
        f"read by shared/config.py, neither set by the deployment nor left at its default: {sorted(unset)}"
    )
    stale = LEFT_AT_THEIR_DEFAULTS - read
    assert not stale, f"listed as left at their defaults but no longer read: {sorted(stale)}"
    assert application >= READ_OUTSIDE_CONFIG
    bindings = (REPO_ROOT / "functions" / "compliance" / "triggers.py").read_text()
    assert 'schedule="%COMPLIANCE_SCHEDULE%"' in bindings


def test_host_storage_is_identity_based() -> None:
    platform = set(variable(API, "platformSettings"))
    assert {
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "AzureWebJobsStorage__blobServiceUri",
        "AzureWebJobsStorage__queueServiceUri",
        "AzureWebJobsStorage__tableServiceUri",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    } <= platform
    assert "AzureWebJobsStorage" not in platform  # no connection string with a key
    storage = config(resources(APP / "storage.bicep")["storage"])
    assert storage["properties"]["allowSharedKeyAccess"] is False


def test_the_roles_the_condition_allows_are_the_roles_the_code_grants() -> None:
    """grantable-roles.json (what the condition allows) holds exactly the kind table's role requirements."""
    granted = {(role.role_definition_guid, role.role_name) for kind in KINDS for role in kind.roles}
    allowed = {(role["id"], role["name"]) for role in load_json(APP / "grantable-roles.json")}
    assert allowed == granted
    assert ("4633458b-17de-408a-b874-0445c86b69e6", "Key Vault Secrets User") in allowed  # defect 3
    for rbac in ("rbac-subscription.bicep", "rbac-management-group.bicep"):
        ids = variable(APP / rbac, "grantableRoleIds")["function"]
        assert ids["type"] == "load_json_content"
        assert ids["parameters"] == {
            "file_path": "grantable-roles.json",
            "json_path": "$[*].id",
            "encoding": None,
        }
        granter = resources(APP / rbac)["constrainedRoleGranter"]
        assert "vaultPrincipalIds" in str(
            granter["config"]["condition"]
        )  # no vault identities: no grant right


def _branches(condition: str) -> dict[str, str]:
    """The condition's two top-level branches, keyed by the action each constrains."""
    write, delete = condition.split("\nAND\n")
    return {"write": write, "delete": delete}


def test_the_grant_condition_constrains_roles_and_principals_for_writes_and_deletes() -> None:
    """Both actions: only the listed roles, only the listed principals (the vault identities), only service
    principals (defect 2). Writes are judged on the request, deletes on the existing assignment."""
    branches = _branches((APP / "grant-condition.txt").read_text())
    for action, source in (("write", "@Request"), ("delete", "@Resource")):
        text = branches[action]
        assert f"!(ActionMatches{{'Microsoft.Authorization/roleAssignments/{action}'}})" in text
        for attribute, values in (
            ("RoleDefinitionId] ForAnyOfAnyValues:GuidEquals", "{ROLE_IDS}"),
            ("PrincipalId] ForAnyOfAnyValues:GuidEquals", "{PRINCIPAL_IDS}"),
            ("PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase", "{'ServicePrincipal'}"),
        ):
            assert f"{source}[Microsoft.Authorization/roleAssignments:{attribute} {values}" in text, (
                action,
                attribute,
            )
        assert text.count(" AND\n") == 2 and "OR" in text
    for rbac in ("rbac-subscription.bicep", "rbac-management-group.bicep"):
        source = (APP / rbac).read_text()
        assert (
            "replace(replace(loadTextContent('grant-condition.txt'), '{ROLE_IDS}', roleIdSet), "
            "'{PRINCIPAL_IDS}', principalIdSet)" in source
        )


def protected_operations() -> set[str]:
    """What the event filter must pass: a write and a delete of every resource type in the kind table, and a
    write of every member type (a blob container joining a vaulted blob backup)."""
    datasources = {
        f"{t}/{verb}" for kind in KINDS for t in kind.resource_types for verb in ("write", "delete")
    }
    return datasources | {f"{t}/write" for kind in KINDS for t in kind.member_types}


def test_the_event_filter_is_the_kind_table() -> None:
    operations = load_json(APP / "protected-operations.json")
    assert len(operations) == len(set(operations))
    assert set(operations) == protected_operations()  # defect 4: nothing the app rejects, nothing it misses
    assert len(operations) <= 25  # Event Grid: at most 25 values across a subscription's advanced filters
    subscription = config(resources(APP / "resource-events.bicep")["subscriptionToFunction"])
    (advanced,) = subscription["properties"]["filter"]["advancedFilters"]
    assert (advanced["operatorType"], advanced["key"], advanced["values"]) == (
        "StringIn",
        "data.operationName",
        "operationNames",
    )
    assert variable(APP / "resource-events.bicep", "operationNames")["function"]["parameters"][
        "file_path"
    ] == ("protected-operations.json")
    # The management-group policy passes the same list to every subscription's deployment.
    assert (
        "loadJsonContent('../app/protected-operations.json')"
        in (ONBOARDING / "management-group.bicep").read_text()
    )
    template = load_json(ONBOARDING / "subscription-events.json")
    nested = template["resources"][1]["properties"]["template"]["resources"][2]
    assert nested["properties"]["filter"]["advancedFilters"][0]["values"] == "[parameters('operationNames')]"


def test_the_outcome_subscription_filters_the_failure_events_the_app_publishes() -> None:
    failed = parameter_default(APP / "outcome-subscriptions.bicep", "failedEventTypes")
    assert set(failed) == {PROTECTION_EVENT_TYPES[OutcomeKind.FAILED], RESTORE_FAILED}


def test_queues_and_containers_are_the_apps() -> None:
    queues = variable(MAIN, "queues")
    code = {PROTECTION_REQUESTS, PROTECTION_REQUESTS_POISON, PROTECTION_REJECTS, RESOURCE_EVENTS}
    assert code <= set(queues.values())
    passed = config(modules(MAIN)["storage"])["params"]
    assert {q["operator"]["operands"]["operand_2"] for q in passed["queueNames"]} == set(queues)
    assert variable(MAIN, "instanceLocksContainerName") == INSTANCE_LOCKS_CONTAINER
    assert variable(MAIN, "reportContainerName") == Settings().compliance_report_container
    assert set(passed["containerNames"]) == {
        "deploymentContainerName",
        "deadLetterContainerName",
        "reportContainerName",
        "instanceLocksContainerName",
    }
    api_params = config(modules(MAIN)["api"])["params"]
    assert api_params["complianceReportContainer"] == "reportContainerName"


def test_the_policy_template_grants_dead_letter_writes_on_the_container_only() -> None:
    template = load_json(ONBOARDING / "subscription-events.json")
    writer = template["resources"][2]["properties"]["template"]["resources"][0]
    assert writer["type"] == "Microsoft.Authorization/roleAssignments"
    assert re.fullmatch(
        r"\[format\('Microsoft\.Storage/storageAccounts/\{0\}/blobServices/default/containers/\{1\}'.*",
        writer["scope"],
    )
    assert writer["properties"]["principalType"] == "ServicePrincipal"
