"""The azd project and the Bicep files: every file parses (pycep-parser), references what exists, and carries
the shape the deployment relies on (ordering, scoping, API versions, tags, named role ids)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from functions.protection.queues import RESOURCE_EVENTS
from tests.infra.bicep import (
    APP,
    INFRA,
    MAIN,
    ONBOARDING,
    bicep_files,
    config,
    load_json,
    loaded_files,
    modules,
    parameter_default,
    parsed,
    resources,
    variable,
)
from tests.paths import REPO_ROOT

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# `var someRoleId = '<guid>' // Role Name`
ROLE_VAR = re.compile(r"^var (\w+RoleId) = '([^']*)'(?:\s*//\s*(.*))?$", re.MULTILINE)

# The API version each resource provider is deployed with is at least the one Azure Verified Modules use
# (Azure/bicep-registry-modules, avm/res/*/main.bicep, read 2026-12) or the newest GA one where AVM uses a
# preview; preview versions only where no GA version exists (diagnostic settings).
MINIMUM_API_VERSIONS = {
    "Microsoft.Web": "2025-03-01",
    "Microsoft.Storage": "2025-06-01",
    "Microsoft.EventGrid": "2025-02-15",
    "Microsoft.KeyVault": "2024-11-01",
    "Microsoft.ManagedIdentity": "2024-11-30",
    "Microsoft.OperationalInsights": "2025-07-01",
    "Microsoft.Insights/components": "2020-02-02",
    "Microsoft.Insights/diagnosticSettings": "2021-05-01-preview",
    "Microsoft.Insights/actionGroups": "2023-01-01",
    "Microsoft.Insights/metricAlerts": "2018-03-01",
    "Microsoft.Insights/scheduledQueryRules": "2023-12-01",
    "Microsoft.Authorization/roleAssignments": "2022-04-01",
    "Microsoft.Authorization/roleDefinitions": "2022-04-01",
    "Microsoft.Authorization/policyDefinitions": "2025-03-01",
    "Microsoft.Authorization/policyAssignments": "2025-03-01",
    "Microsoft.Resources": "2025-04-01",
    "Microsoft.PolicyInsights": "2024-10-01",
    "Microsoft.DataProtection": "2025-07-01",
    "Microsoft.RecoveryServices": "2025-08-01",
    # avm/res/network/virtual-network 0.10 and private-endpoint 0.12 (NSGs and zone groups alike);
    # private-dns-zone 0.8 still uses 2020-06-01: 2024-06-01 is the newest GA version.
    "Microsoft.Network": "2025-05-01",
    "Microsoft.Network/privateDnsZones": "2024-06-01",
}
PREVIEW_ALLOWED = {"Microsoft.Insights/diagnosticSettings"}


def _minimum_for(resource_type: str) -> str:
    keys = [k for k in MINIMUM_API_VERSIONS if resource_type == k or resource_type.startswith(k + "/")]
    assert keys, f"no minimum API version known for {resource_type}: add it to MINIMUM_API_VERSIONS"
    return MINIMUM_API_VERSIONS[max(keys, key=len)]


def _all_resources() -> list[tuple[Path, str, dict[str, Any]]]:
    return [(path, name, res) for path in bicep_files() for name, res in resources(path).items()]


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_every_bicep_file_parses(path: Path) -> None:
    tree = parsed(path)
    assert tree.get("resources") or tree.get("modules"), f"{path.name} declares nothing"


def test_every_module_and_loaded_file_exists() -> None:
    for path in bicep_files():
        for name, module in modules(path).items():
            if module["type"] == "bicep_registry_alias":  # an Azure Verified Module, at an exact version
                detail = module["detail"]
                assert detail["alias"] == "public" and detail["path"].startswith("avm/res/"), (
                    f"{path.name}: {name}"
                )
                assert re.fullmatch(r"\d+\.\d+\.\d+", detail["tag"]), f"{path.name}: {name} {detail['tag']}"
                continue
            assert module["type"] == "local", f"{path.name}: {name}"
            assert (path.parent / module["detail"]["path"]).is_file(), f"{path.name}: {name}"
        for loaded in loaded_files(path):
            assert loaded.is_file(), f"{path.name} loads missing {loaded}"
    assert modules(MAIN)
    every_module_file = {
        (p.parent / m["detail"]["path"]).resolve() for p in bicep_files() for m in modules(p).values()
    }
    entry_points = {MAIN.resolve(), (ONBOARDING / "management-group.bicep").resolve()}
    unused = {p.resolve() for p in bicep_files()} - every_module_file - entry_points
    assert not unused, f"Bicep files nothing deploys: {sorted(map(str, unused))}"


def test_azure_yaml_is_at_the_root_and_names_the_api_service_and_existing_paths() -> None:
    assert not (INFRA / "azure.yaml").exists(), "azd looks for azure.yaml at the root"
    project = yaml.safe_load((REPO_ROOT / "azure.yaml").read_text())
    assert (REPO_ROOT / project["infra"]["path"] / f"{project['infra']['module']}.bicep") == MAIN
    api = project["services"]["api"]
    assert (api["language"], api["host"]) == ("python", "function")
    assert (REPO_ROOT / api["project"]).resolve() == REPO_ROOT
    for needed in ("function_app.py", "host.json", "requirements.txt", ".funcignore"):
        assert (REPO_ROOT / needed).is_file(), needed
    assert set(project["hooks"]) == {"preprovision", "postdeploy", "predown"}
    assert set(api["hooks"]) == {"prepackage"}
    for hook in [*project["hooks"].values(), *api["hooks"].values()]:
        script = REPO_ROOT / hook["posix"]["run"]
        assert script.is_file() and os.access(script, os.X_OK), script
        assert hook["posix"]["continueOnError"] is False


def test_every_parameter_is_a_plain_env_substitution_declared_in_main_bicep() -> None:
    """azd pastes env values into the parameters file unescaped: scalars only, lists as comma-separated."""
    params = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    declared = parsed(MAIN)["parameters"]
    assert set(params) <= set(declared), set(params) - set(declared)
    assert {"environmentName", "location"} <= set(params)
    for name, entry in params.items():
        assert re.fullmatch(r"\$\{[A-Z][A-Z0-9_]*(=[^}]*)?\}", entry["value"]), (name, entry)
        assert declared[name]["type"] in ("string", "bool", "int"), f"{name} is {declared[name]['type']}"
    assert "protectionRules" not in declared  # the rules travel as a file (defect 1)


def test_main_bicep_shape() -> None:
    text = MAIN.read_text()
    assert parsed(MAIN)["globals"]["scope"]["value"] == "subscription"
    assert "toLower(uniqueString(subscription().id, environmentName, location))" in text
    assert "'azd-env-name': environmentName" in text
    outputs = parsed(MAIN)["outputs"]
    assert outputs and all(re.fullmatch(r"[A-Z][A-Z0-9_]*", name) for name in outputs), outputs


def test_every_top_level_resource_is_tagged() -> None:
    """Resources that take tags carry them (role assignments, definitions, diagnostic settings, children and
    existing resources excepted)."""
    untaggable = (
        "Microsoft.Authorization/",
        "Microsoft.Insights/diagnosticSettings",
        "Microsoft.PolicyInsights/",
    )
    for path, name, res in _all_resources():
        body = config(res)
        if (
            res["existing"]
            or "parent" in body
            or res["type"].startswith(untaggable)
            or res["type"].count("/") > 1
        ):
            continue
        assert "tags" in body, f"{path.name}: {name} ({res['type']}) has no tags"


def test_api_versions_are_current() -> None:
    for path, name, res in _all_resources():
        version = res["api_version"]
        resource_type = res["type"]
        assert version >= _minimum_for(resource_type), f"{path.name}: {name} {resource_type}@{version}"
        if "preview" in version:
            assert any(resource_type.startswith(p) for p in PREVIEW_ALLOWED), f"{path.name}: {name}@{version}"
    for resource_type, version in _arm_json_resources(load_json(ONBOARDING / "subscription-events.json")):
        assert version >= _minimum_for(resource_type), f"subscription-events.json {resource_type}@{version}"


def _arm_json_resources(tree: Any) -> list[tuple[str, str]]:
    """(type, apiVersion) of every resource in an ARM JSON template, nested templates included."""
    found = []
    if isinstance(tree, dict):
        if isinstance(tree.get("type"), str) and isinstance(tree.get("apiVersion"), str):
            found.append((tree["type"], tree["apiVersion"]))
        for value in tree.values():
            found += _arm_json_resources(value)
    elif isinstance(tree, list):
        for value in tree:
            found += _arm_json_resources(value)
    return found


def test_role_definition_ids_are_named_commented_guids() -> None:
    seen: dict[str, str] = {}
    files_with_roles = [p for p in bicep_files() if "roleAssignments@" in p.read_text()]
    assert len(files_with_roles) >= 6
    for path in files_with_roles:
        text = path.read_text()
        roles = ROLE_VAR.findall(text)
        for var_name, guid, comment in roles:
            assert GUID.match(guid), f"{path.name}: {var_name} = {guid!r}"
            assert comment.strip(), f"{path.name}: {var_name} has no comment naming the role"
            assert seen.setdefault(guid, comment.strip()) == comment.strip(), f"{guid} named two ways"
        # No role GUID literal outside its named variable.
        literals = set(re.findall(r"'([0-9a-f]{8}-[0-9a-f-]{27})'", text))
        assert literals == {guid for _, guid, _ in roles}, path.name
        for name, res in resources(path).items():
            if res["type"] == "Microsoft.Authorization/roleAssignments" and not res["existing"]:
                body = config(res)
                assert body["name"]["function"]["type"] == "guid", f"{path.name}: {name}"
                assert body["properties"]["principalType"] == "ServicePrincipal", f"{path.name}: {name}"
    assert {
        "Storage Blob Data Owner",
        "Storage Queue Data Contributor",
        "Storage Table Data Contributor",
        "Storage Blob Data Contributor",
        "Storage Queue Data Message Sender",
        "Monitoring Metrics Publisher",
        "EventGrid Data Sender",
        "Key Vault Secrets User",
        "Reader",
        "Backup Contributor",
        "Role Based Access Control Administrator",
    } <= set(seen.values())


def test_dead_letter_writers_are_scoped_to_the_dead_letter_container() -> None:
    """Storage Blob Data Contributor (what Event Grid needs to dead-letter) is granted on the container only,
    never on the account that holds the deployment package and the durable state (defect 8)."""
    contributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
    grants = 0
    for path in bicep_files():
        role_vars = {var: guid for var, guid, _ in ROLE_VAR.findall(path.read_text())}
        for name, res in resources(path).items():
            if res["type"] != "Microsoft.Authorization/roleAssignments":
                continue
            body = config(res)
            role = body["properties"]["roleDefinitionId"]
            role_id = (
                role.get("function", {}).get("parameters", {}).get("resource_name_1")
                if isinstance(role, dict)
                else None
            )
            if role_vars.get(str(role_id)) == contributor:
                grants += 1
                scope = json.dumps(body["scope"])
                assert "deadLetterContainer" in scope, f"{path.name}: {name} is scoped to {scope}"
    assert grants >= 2  # the system topics' writer and the outcome topic's


def test_the_app_starts_only_after_its_roles_exist() -> None:
    """The app's settings hold a Key Vault reference: the app module waits for its roles (defect 7)."""
    api = config(modules(MAIN)["api"])
    assert "rbac" in api["dependsOn"]
    rbac = resources(APP / "rbac.bicep")
    assert config(rbac["secretsUser"])["scope"] == "keyVault"
    settings = variable(APP / "api.bicep", "applicationSettings")
    assert settings["EVENTGRID_TOPIC_KEY"].startswith("@Microsoft.KeyVault(SecretUri=")
    assert (
        config(resources(APP / "api.bicep")["functionApp"])["properties"]["keyVaultReferenceIdentity"]
        == "identityId"
    )


def test_an_existing_system_topic_is_taken_by_id_and_nothing_else_moves() -> None:
    """With existingSystemTopicId only the event subscription goes into the topic's resource group; the app's
    resource group name never comes from the topic (defect 5)."""
    assert parameter_default(MAIN, "existingSystemTopicId") == ""
    into_topic_group = [
        name
        for name, module in modules(MAIN).items()
        if "existingTopicParts" in json.dumps(config(module).get("scope"))
    ]
    assert into_topic_group == ["resourceEventsOnExistingTopic"]
    assert modules(MAIN)["resourceEventsOnExistingTopic"]["detail"]["path"] == "app/resource-events.bicep"
    assert "existingTopicParts" not in json.dumps(variable(MAIN, "names"))
    assert "condition" in modules(MAIN)["systemTopic"]["config"]  # ours only when none is given
    predown = (INFRA / "scripts" / "predown.sh").read_text()
    assert "EXISTING_SYSTEM_TOPIC_ID" in predown and "exit 1" in predown


def test_the_rules_are_shipped_as_a_file_in_the_package() -> None:
    """PROTECTION_RULES is a path relative to the app root, in the package .funcignore leaves (defect 1)."""
    settings = variable(APP / "api.bicep", "applicationSettings")
    assert settings["PROTECTION_RULES"] == "protectionRulesFile"
    default = parameter_default(MAIN, "protectionRulesFile")
    assert default == "rules.yaml"
    ignored = {line.strip() for line in (REPO_ROOT / ".funcignore").read_text().splitlines()}
    assert default.split("/")[0] not in ignored
    params = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert params["protectionRulesFile"]["value"] == "${PROTECTION_RULES_FILE=rules.yaml}"
    assert "PROTECTION_RULES_FILE" in (INFRA / "scripts" / "prepackage.sh").read_text()


def test_azd_state_is_neither_committed_nor_deployed() -> None:
    ignored = (REPO_ROOT / ".gitignore").read_text().splitlines()
    assert ".azure/" in ignored and ".venv-checkov/" in ignored
    not_packaged = (REPO_ROOT / ".funcignore").read_text().splitlines()
    assert {".azure", ".venv-checkov", "infra", "azure.yaml", "tests", "local"} <= set(not_packaged)
    assert not {"functions", "shared", "function_app.py", "host.json", "requirements.txt"} & set(not_packaged)


def test_outcome_events_have_subscribers() -> None:
    """Every outcome reaches a queue and failed ones a queue of their own, watched by an alert (defect 6)."""
    subscriptions = resources(APP / "outcome-subscriptions.bicep")
    queues = variable(MAIN, "queues")
    for name, queue_param in (
        ("allOutcomes", "allOutcomesQueueName"),
        ("failedOutcomes", "failedOutcomesQueueName"),
    ):
        body = config(subscriptions[name])["properties"]
        destination = body["deliveryWithResourceIdentity"]["destination"]
        assert destination["endpointType"] == "StorageQueue"
        assert destination["properties"]["queueName"] == queue_param
        assert body["deadLetterWithResourceIdentity"] == "deadLetter"
    passed = config(modules(MAIN)["outcomeSubscriptions"])["params"]
    assert passed["allOutcomesQueueName"]["operator"]["operands"]["operand_2"] == "outcomes"
    assert passed["failedOutcomesQueueName"]["operator"]["operands"]["operand_2"] == "failedOutcomes"
    assert {queues["outcomes"], queues["failedOutcomes"]} <= set(queues.values())
    alerts = variable(APP / "alerts.bicep", "metricAlertList")
    failed = next(a for a in alerts if a["name"] == "failed-outcomes")
    assert (
        failed["metric"] == "MatchedEventCount" and failed["dimensions"][0]["name"] == "EventSubscriptionName"
    )


def test_alerts_cover_each_place_work_can_end() -> None:
    alerts = APP / "alerts.bicep"
    assert {"actionGroup", "deliveryAlerts", "metricAlerts", "logAlerts"} <= set(resources(alerts))
    metrics = {m["metric"] for m in variable(alerts, "deliveryMetrics")}
    assert metrics == {"DeadLetteredCount", "DeliveryAttemptFailCount", "DroppedEventCount"}
    assert {a["metric"] for a in variable(alerts, "metricAlertList")} == {
        "MatchedEventCount",
        "requests/failed",
    }
    queries = {a["name"]: a["query"] for a in variable(alerts, "logAlertList")}
    assert (
        "poisonQueueName" in queries["poison-messages"] and "StorageQueueLogs" in queries["poison-messages"]
    )
    assert "rejectsQueueName" in queries["rejected-events"]
    # Queue delivery: what the host gives up on in resource-events lands in its poison queue, watched too.
    assert "resourceEventsPoisonQueueName" in queries["resource-event-poison"]
    assert (
        "deadLetterContainerName" in queries["dead-letters"] and "StorageBlobLogs" in queries["dead-letters"]
    )
    passed = config(modules(MAIN)["alerts"])["params"]
    assert passed["poisonQueueName"]["operator"]["operands"]["operand_2"] == "poison"
    assert passed["rejectsQueueName"]["operator"]["operands"]["operand_2"] == "rejects"
    poison = passed["resourceEventsPoisonQueueName"]["operator"]["operands"]["operand_2"]
    assert variable(MAIN, "queues")[poison] == f"{RESOURCE_EVENTS}-poison"  # the host's name for it


def test_diagnostic_settings_on_the_topics_the_vault_the_app_and_the_queues() -> None:
    scoped = set()
    for path, _name, res in _all_resources():
        if res["type"] == "Microsoft.Insights/diagnosticSettings":
            body = config(res)
            assert body["properties"]["workspaceId"] == "logAnalyticsWorkspaceId", path.name
            scoped.add((path.name, json.dumps(body["scope"])))
    names = {file for file, _ in scoped}
    assert {
        "outcome-topic.bicep",
        "system-topic.bicep",
        "secrets.bicep",
        "api.bicep",
        "storage.bicep",
        "vaults.bicep",
        "recovery-vaults.bicep",
    } <= names
