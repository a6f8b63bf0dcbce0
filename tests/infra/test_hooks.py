"""The azd hooks and the onboarding script, run with sh against stand-ins for azd and az on PATH that record
what they were asked (nothing reaches Azure)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.infra.bicep import INFRA
from tests.paths import REPO_ROOT

SCRIPTS = INFRA / "scripts"
GROUP = "/subscriptions/s/resourceGroups/rg-prod/providers"
ENV_VALUES = {
    "AZURE_ENV_NAME": "prod",
    "AZURE_LOCATION": "westeurope",
    "AZURE_FUNCTION_APP_ID": f"{GROUP}/Microsoft.Web/sites/func-api-x",
    "AZURE_USER_ASSIGNED_IDENTITY_PRINCIPAL_ID": "11111111-1111-1111-1111-111111111111",
    "AZURE_STORAGE_ACCOUNT_ID": f"{GROUP}/Microsoft.Storage/storageAccounts/stx",
    "DEAD_LETTER_CONTAINER_NAME": "eventgrid-deadletter",
    "AZURE_LOG_ANALYTICS_WORKSPACE_ID": f"{GROUP}/Microsoft.OperationalInsights/workspaces/log-x",
}


def _stand_ins(tmp_path: Path, env_values: dict[str, str]) -> Path:
    """`azd` and `az` that append their arguments to calls.log; `azd env get-values` prints env_values."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    values = "".join(f"echo '{k}=\"{v}\"'\n" for k, v in env_values.items())
    for tool, extra in (
        ("azd", f'if [ "$1 $2" = "env get-values" ]; then\n{values}exit 0\nfi\n'),
        ("az", ""),
    ):
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\n{extra}echo "{tool} $*" >> "{tmp_path}/calls.log"\n')
        script.chmod(0o755)
    return bin_dir


def _run(
    script: str,
    tmp_path: Path,
    env: dict[str, str],
    args: tuple[str, ...] = (),
    env_values: dict[str, str] = ENV_VALUES,
) -> subprocess.CompletedProcess[str]:
    bin_dir = _stand_ins(tmp_path, env_values)
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AZURE_", "PROTECTION_", "DEPLOY_", "VAULT_", "RESOURCE_"))
    }
    base["PATH"] = f"{bin_dir}:{base.get('PATH', '')}"
    base.pop("EXISTING_SYSTEM_TOPIC_ID", None)
    return subprocess.run(
        ["sh", str(SCRIPTS / script), *args],
        cwd=REPO_ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def _calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize(
    ("env", "refused"),
    [
        ({"PROTECTION_GRANT_ROLES": "true"}, True),
        (
            {"PROTECTION_GRANT_ROLES": "true", "VAULT_PRINCIPAL_IDS": "22222222-2222-2222-2222-222222222222"},
            False,
        ),
        ({"PROTECTION_GRANT_ROLES": "true", "DEPLOY_BACKUP_VAULTS": "true"}, False),
        ({"PROTECTION_GRANT_ROLES": "true", "DEPLOY_RECOVERY_SERVICES_VAULTS": "true"}, False),
        ({"PROTECTION_GRANT_ROLES": "false"}, False),
        ({}, False),
    ],
)
def test_preprovision_refuses_grants_without_vault_identities(
    tmp_path: Path, env: dict[str, str], refused: bool
) -> None:
    done = _run("preprovision.sh", tmp_path, env)
    assert done.returncode == (1 if refused else 0), done.stderr
    assert ("VAULT_PRINCIPAL_IDS" in done.stderr) is refused


def test_predown_stops_azd_down_while_an_existing_topics_group_is_in_the_deployment(tmp_path: Path) -> None:
    topic = "/subscriptions/s/resourceGroups/rg-shared-events/providers/Microsoft.EventGrid/systemTopics/t1"
    done = _run(
        "predown.sh",
        tmp_path,
        {"EXISTING_SYSTEM_TOPIC_ID": topic, "DEPLOY_RESOURCE_EVENT_SUBSCRIPTION": "true"},
    )
    assert done.returncode == 1
    assert "'rg-shared-events'" in done.stderr and "--system-topic-name 't1'" in done.stderr
    assert _calls(tmp_path) == []  # it only says what to do
    # Once the event subscription is out of the deployment, or with our own topic, azd down may go on.
    assert _run("predown.sh", tmp_path, {"EXISTING_SYSTEM_TOPIC_ID": topic}).returncode == 0
    assert _run("predown.sh", tmp_path, {"DEPLOY_RESOURCE_EVENT_SUBSCRIPTION": "true"}).returncode == 0


def test_postdeploy_provisions_once_more_with_the_event_subscriptions_on(tmp_path: Path) -> None:
    done = _run("postdeploy.sh", tmp_path, {})
    assert done.returncode == 0, done.stderr
    assert _calls(tmp_path) == [
        "azd env set DEPLOY_RESOURCE_EVENT_SUBSCRIPTION true",
        "azd provision --no-prompt",
    ]
    (tmp_path / "calls.log").unlink()
    assert _run("postdeploy.sh", tmp_path, {"DEPLOY_RESOURCE_EVENT_SUBSCRIPTION": "true"}).returncode == 0
    assert _calls(tmp_path) == []


@pytest.mark.parametrize(
    ("vaults", "expected"),
    [
        ("", "[]"),
        ("a1, b2,,c3", '["a1","b2","c3"]'),
        ("a1", '["a1"]'),
    ],
)
def test_management_group_onboarding_passes_the_azd_outputs(
    tmp_path: Path, vaults: str, expected: str
) -> None:
    done = _run("onboard-management-group.sh", tmp_path, {"VAULT_PRINCIPAL_IDS": vaults}, ("mg-platform",))
    assert done.returncode == 0, done.stderr
    deploy, set_groups, provision = _calls(tmp_path)
    assert deploy.startswith("az deployment mg create --management-group-id mg-platform ")
    assert "--template-file infra/onboarding/management-group.bicep" in deploy
    assert f"functionAppId={ENV_VALUES['AZURE_FUNCTION_APP_ID']}" in deploy
    assert f"appPrincipalId={ENV_VALUES['AZURE_USER_ASSIGNED_IDENTITY_PRINCIPAL_ID']}" in deploy
    assert f"storageAccountId={ENV_VALUES['AZURE_STORAGE_ACCOUNT_ID']}" in deploy
    assert f"vaultPrincipalIds={expected}" in deploy
    assert (set_groups, provision) == (
        "azd env set COMPLIANCE_MANAGEMENT_GROUPS mg-platform",
        "azd provision --no-prompt",
    )
    assert (INFRA / "onboarding" / "management-group.bicep").is_file()


@pytest.mark.parametrize(
    ("delivery", "expected"), [(None, "function"), ("function", "function"), ("queue", "queue")]
)
def test_management_group_onboarding_delivers_as_the_deployment_does(
    tmp_path: Path, delivery: str | None, expected: str
) -> None:
    """The policy's subscriptions deliver their events as this deployment does (RESOURCE_EVENT_DELIVERY, queue
    with the network option); an environment from before that output pushes to the function."""
    values = {**ENV_VALUES, **({"RESOURCE_EVENT_DELIVERY": delivery} if delivery else {})}
    if delivery:
        values["RESOURCE_EVENTS_QUEUE_NAME"] = "resource-events"
    done = _run("onboard-management-group.sh", tmp_path, {}, ("mg-platform",), env_values=values)
    assert done.returncode == 0, done.stderr
    deploy = _calls(tmp_path)[0]
    assert f" eventDelivery={expected} " in deploy
    assert deploy.endswith(" resourceEventsQueueName=resource-events")


def test_management_group_onboarding_needs_the_group(tmp_path: Path) -> None:
    done = _run("onboard-management-group.sh", tmp_path, {})
    assert done.returncode != 0 and "usage" in done.stderr
    assert _calls(tmp_path) == []
