"""Static checks of the azd project under infra/ (no Bicep compiler offline: text-level checks only)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.paths import REPO_ROOT

INFRA = REPO_ROOT / "infra"
MAIN = INFRA / "main.bicep"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# `var someRoleId = '<guid>' // Role Name`
ROLE_VAR = re.compile(r"^var (\w+RoleId) = '([^']*)'(?:\s*//\s*(.*))?$", re.MULTILINE)
# Settings the Functions host / platform / azure-identity read rather than our code.
# AZURE_CLIENT_ID: azure-identity's DefaultAzureCredential picks the UAMI with it; COMPLIANCE_SCHEDULE: the
# timer binding reads it (%COMPLIANCE_SCHEDULE%), checked against the app's bindings below.
NOT_READ_BY_APP_CODE = {"AZURE_CLIENT_ID", "COMPLIANCE_SCHEDULE"}


def bicep_files() -> list[Path]:
    return sorted([MAIN, *(INFRA / "app").glob("*.bicep")])


def object_keys(text: str, var_name: str) -> list[str]:
    """Keys of a top-level `var <name> = { ... }` object written one key per line."""
    match = re.search(rf"^var {var_name} = \{{\n(.*?)^\}}", text, re.MULTILINE | re.DOTALL)
    assert match, f"var {var_name} not found"
    return re.findall(r"^  (\w+):", match.group(1), re.MULTILINE)


def test_azure_yaml_names_the_api_service_and_existing_paths() -> None:
    project = yaml.safe_load((INFRA / "azure.yaml").read_text())
    assert (INFRA / project["infra"]["path"] / f"{project['infra']['module']}.bicep").is_file()
    api = project["services"]["api"]
    assert (api["language"], api["host"]) == ("python", "function")
    app_dir = (INFRA / api["project"]).resolve()
    assert app_dir == REPO_ROOT
    for needed in ("function_app.py", "host.json", "requirements.txt"):
        assert (app_dir / needed).is_file(), needed
    for hook in project.get("hooks", {}).values():
        script = hook["posix"]["run"]
        assert (INFRA / script).is_file(), script


def test_every_parameter_set_is_declared_in_main_bicep() -> None:
    params = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    declared = set(re.findall(r"^param (\w+) ", MAIN.read_text(), re.MULTILINE))
    assert set(params) <= declared, set(params) - declared
    assert {"environmentName", "location"} <= set(params)


def test_main_bicep_shape() -> None:
    text = MAIN.read_text()
    assert "targetScope = 'subscription'" in text
    assert "toLower(uniqueString(subscription().id, environmentName, location))" in text
    assert "'azd-env-name': environmentName" in text
    outputs = re.findall(r"^output (\w+) ", text, re.MULTILINE)
    assert outputs and all(re.fullmatch(r"[A-Z][A-Z0-9_]*", name) for name in outputs), outputs


def test_every_module_and_loaded_file_exists() -> None:
    for path in bicep_files():
        text = path.read_text()
        refs = re.findall(r"^module \w+ '([^']+)'", text, re.MULTILINE)
        refs += re.findall(r"load(?:Json|Text)Content\('([^']+)'\)", text)
        for ref in refs:
            assert (path.parent / ref).is_file(), f"{path.name} references missing {ref}"
    assert re.findall(r"^module \w+ '([^']+)'", MAIN.read_text(), re.MULTILINE)


def test_every_resource_in_a_module_is_tagged_or_a_child() -> None:
    """Top-level resources carry `tags` (role assignments, secrets, child and existing resources excepted)."""
    untaggable = ("Microsoft.Authorization/", "/secrets@", "/eventSubscriptions@")
    for path in bicep_files():
        blocks = re.split(r"^(?=resource )", path.read_text(), flags=re.MULTILINE)[1:]
        for block in blocks:
            header = block.splitlines()[0]
            if " existing" in header or any(kind in header for kind in untaggable):
                continue
            assert "\n  tags:" in block, f"{path.name}: {header}"


def test_role_definition_ids_are_named_commented_guids() -> None:
    rbac_files = sorted((INFRA / "app").glob("rbac*.bicep"))
    assert rbac_files
    seen: dict[str, str] = {}
    for path in rbac_files:
        text = path.read_text()
        roles = ROLE_VAR.findall(text)
        assert roles, path.name
        for var_name, guid, comment in roles:
            assert GUID.match(guid), f"{path.name}: {var_name} = {guid!r}"
            assert comment.strip(), f"{path.name}: {var_name} has no comment naming the role"
            assert seen.setdefault(guid, comment.strip()) == comment.strip(), f"{guid} named two ways"
        # No role GUID literal outside its named variable.
        literals = set(re.findall(r"'([0-9a-f]{8}-[0-9a-f-]{27})'", text))
        assert literals == {guid for _, guid, _ in roles}, path.name
        for assignment in re.split(r"^(?=resource )", text, flags=re.MULTILINE)[1:]:
            if "roleAssignments@" in assignment.splitlines()[0]:
                assert re.search(r"name: guid\([^,]+, \w+, \w+RoleId\)", assignment), assignment[:80]
                assert "principalType: 'ServicePrincipal'" in assignment
    expected = {
        "Storage Blob Data Owner",
        "Storage Queue Data Contributor",
        "Storage Table Data Contributor",
        "Monitoring Metrics Publisher",
        "EventGrid Data Sender",
        "Key Vault Secrets User",
        "Reader",
        "Backup Contributor",
        "Role Based Access Control Administrator",
        "Storage Account Backup Contributor",
        "PostgreSQL Flexible Server Long Term Retention Backup Role",
    }
    assert expected <= set(seen.values()), expected - set(seen.values())


def test_resource_event_subscription_filters_the_protected_operations() -> None:
    text = (INFRA / "app" / "resource-events.bicep").read_text()
    assert "endpointType: 'AzureFunction'" in text
    assert "'${functionApp.id}/functions/on_resource_written'" in text
    assert "'Microsoft.Resources.ResourceWriteSuccess'" in text
    assert "key: 'data.operationName'" in text and "operatorType: 'StringIn'" in text
    for operation in (
        "Microsoft.Storage/storageAccounts/write",
        "Microsoft.Storage/storageAccounts/fileServices/shares/write",
        "Microsoft.DBforPostgreSQL/servers/databases/write",
        "Microsoft.DBforPostgreSQL/flexibleServers/write",
    ):
        assert f"'{operation}'" in text, operation
    assert "retryPolicy:" in text and "deadLetterWithResourceIdentity:" in text


def test_every_app_setting_is_one_the_app_reads() -> None:
    config = REPO_ROOT / "shared" / "config.py"
    if not config.is_file():
        pytest.skip("shared/config.py does not exist yet: nothing to compare the app settings with")
    settings = object_keys((INFRA / "app" / "api.bicep").read_text(), "applicationSettings")
    assert "ARM_ENDPOINT" in settings
    source = config.read_text()
    unread = [name for name in settings if name not in NOT_READ_BY_APP_CODE and f'"{name}"' not in source]
    assert not unread, f"set by infra but never read by shared/config.py: {unread}"
    bindings = (REPO_ROOT / "functions" / "compliance" / "triggers.py").read_text()
    assert "COMPLIANCE_SCHEDULE" in settings and 'schedule="%COMPLIANCE_SCHEDULE%"' in bindings


def test_host_storage_is_identity_based() -> None:
    text = (INFRA / "app" / "api.bicep").read_text()
    platform = set(object_keys(text, "platformSettings"))
    assert {
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "AzureWebJobsStorage__blobServiceUri",
        "AzureWebJobsStorage__queueServiceUri",
        "AzureWebJobsStorage__tableServiceUri",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    } <= platform
    assert "AzureWebJobsStorage" not in platform  # no connection string with a key
    assert "allowSharedKeyAccess: false" in (INFRA / "app" / "storage.bicep").read_text()
