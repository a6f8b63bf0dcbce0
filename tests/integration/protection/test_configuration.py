"""A bad rules document is reported at host start-up, clearly, with the problem's JSON path."""

from __future__ import annotations

import time

from local.azurite import REPO_ROOT
from local.host.process import HostProcess


def _wait_for_log(host: HostProcess, text: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    tail = ""
    while time.monotonic() < deadline:
        tail = host.log_tail(400)
        if text in tail:
            return tail
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not in the host log:\n{tail}")


def test_invalid_rules_reported_at_startup(azurite_connection_string: str) -> None:
    bad_rules = '{"version": 1, "rules": [{"name": "r1", "match": {}, "policy": "p"}]}'
    env = {
        "AzureWebJobsStorage": azurite_connection_string,
        "PROTECTION_RULES": bad_rules,
        "ARM_CREDENTIAL": "local",
        "COMPLIANCE_SCHEDULE": "0 0 */6 * * *",  # the timer binding's %COMPLIANCE_SCHEDULE%
    }
    with HostProcess(REPO_ROOT, env=env) as host:
        log = _wait_for_log(host, "configuration is invalid")
    assert "$.rules[0]" in log and "vault" in log


def test_a_share_rule_naming_a_backup_vault_is_reported_at_startup(azurite_connection_string: str) -> None:
    vault = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/bv"
    rules = (
        '{"version": 1, "rules": [{"name": "shares", "policy": "p", '
        '"match": {"resourceTypes": ["Microsoft.Storage/storageAccounts/fileServices/shares"]}, '
        f'"vault": {{"id": "{vault}", "location": "westeurope"}}}}]}}'
    )
    env = {
        "AzureWebJobsStorage": azurite_connection_string,
        "PROTECTION_RULES": rules,
        "ARM_CREDENTIAL": "local",
        "COMPLIANCE_SCHEDULE": "0 0 */6 * * *",
    }
    with HostProcess(REPO_ROOT, env=env) as host:
        log = _wait_for_log(host, "configuration is invalid")
    assert "$.rules[0].vault.id: a Microsoft.DataProtection/backupVaults vault cannot protect" in log


def test_valid_rules_reported_ok_at_startup(azurite_connection_string: str) -> None:
    env = {
        "AzureWebJobsStorage": azurite_connection_string,
        "PROTECTION_RULES": str(REPO_ROOT / "local" / "demo" / "rules.yaml"),
        "ARM_CREDENTIAL": "local",
        "COMPLIANCE_SCHEDULE": "0 0 */6 * * *",  # the timer binding's %COMPLIANCE_SCHEDULE%
    }
    with HostProcess(REPO_ROOT, env=env) as host:
        log = _wait_for_log(host, "configuration ok: 7 protection rules")
    assert "configuration is invalid" not in log
