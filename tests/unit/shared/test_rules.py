# ruff: noqa: E501 - ARM ids and bodies are long by nature
from __future__ import annotations

import json

import pytest

from shared.errors import RulesError
from shared.protection.rules import Decision, Rules, SkipReason, load_rules
from tests.paths import REPO_ROOT

SUB = "00000000-0000-0000-0000-000000000001"
VAULT_WEU = f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv-westeurope"
SA = f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Storage/storageAccounts/acct1"
DB = f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.DBforPostgreSQL/servers/pg1/databases/orders"
FLEX = f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgf"


@pytest.fixture(scope="module")
def example() -> Rules:
    return load_rules(str(REPO_ROOT / "rules.example.yaml"))


@pytest.mark.parametrize(
    ("resource_id", "location", "tags", "protect", "skip", "rule"),
    [
        (SA, "westeurope", {}, True, None, "blobs-westeurope"),
        (SA, "NorthEurope", {"env": "prod"}, True, None, "blobs-northeurope"),
        (SA, "eastus", {}, False, SkipReason.NO_VAULT_IN_REGION, "blobs-westeurope"),
        (SA, "westeurope", {"Backup": "Off"}, False, SkipReason.EXCLUDED_BY_TAG, None),
        (SA, "westeurope", {"backup": "on"}, True, None, "blobs-westeurope"),
        (DB, "westeurope", {}, True, None, "postgresql-westeurope"),
        (FLEX, "northeurope", {}, True, None, "postgresql-northeurope"),
        (
            FLEX,
            "northeurope",
            {"environment": "scratch"},
            False,
            SkipReason.EXCLUDED_BY_TAG,
            "postgresql-northeurope",
        ),
        (DB, "eastus", {}, False, SkipReason.NO_RULE, None),
        (
            f"/subscriptions/{SUB}/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/vm",
            "westeurope",
            {},
            False,
            SkipReason.UNSUPPORTED,
            None,
        ),
        ("/subscriptions/x/../y", "westeurope", {}, False, SkipReason.INVALID, None),
    ],
)
def test_example_rules_table(example, resource_id, location, tags, protect, skip, rule):
    decision = example.evaluate(resource_id=resource_id, location=location, tags=tags)
    assert decision.protect is protect
    assert decision.skip_reason is skip
    assert decision.rule == rule
    assert decision.reason
    assert Decision.from_dict(json.loads(json.dumps(decision.to_dict()))) == decision


def test_protect_decision_carries_vault_policy_and_secret(example):
    d = example.evaluate(resource_id=DB, location="westeurope", tags={})
    assert d.vault_id == VAULT_WEU
    assert d.policy_id == VAULT_WEU + "/backupPolicies/postgresql-weekly"
    assert d.secret_uri == "https://kv-backup-weu.vault.azure.net/secrets/pg1-orders"
    assert d.key_vault_id and d.key_vault_id.endswith("/vaults/kv-backup-weu")
    assert d.datasource_kind == "postgresql"
    assert d.dry_run is False


def _doc(**rule_overrides):
    rule = {
        "name": "r1",
        "match": {"resourceTypes": ["Microsoft.Storage/storageAccounts"]},
        "vault": {"id": VAULT_WEU, "location": "westeurope"},
        "policy": "p",
    }
    rule.update(rule_overrides)
    return {"version": 1, "rules": [rule]}


def test_tag_include_semantics_and_dry_run():
    rules = Rules.from_document(_doc(match={"tags": {"env": ["prod", "staging"], "owner": "*"}}, dryRun=True))
    yes = rules.evaluate(resource_id=SA, location="westeurope", tags={"ENV": "Prod", "owner": "me"})
    assert yes.protect and yes.dry_run
    assert not rules.evaluate(resource_id=SA, location="westeurope", tags={"env": "prod"}).protect
    assert not rules.evaluate(
        resource_id=SA, location="westeurope", tags={"env": "dev", "owner": "x"}
    ).protect


def test_first_match_wins():
    doc = _doc()
    doc["rules"].append({**doc["rules"][0], "name": "r2", "policy": "other"})
    d = Rules.from_document(doc).evaluate(resource_id=SA, location="westeurope", tags={})
    assert d.rule == "r1"


def test_inline_json_and_yaml_and_full_policy_id():
    inline = json.dumps(_doc(policy=VAULT_WEU + "/backupPolicies/full"))
    d = load_rules(inline).evaluate(resource_id=SA, location="westeurope", tags={})
    assert d.policy_id == VAULT_WEU + "/backupPolicies/full"


@pytest.mark.parametrize(
    ("doc", "fragments"),
    [
        ({"rules": []}, ["'version' is a required property", "$.rules"]),
        (
            {"version": 2, "rules": [{"name": "x"}]},
            ["$.version", "$.rules[0]: 'vault' is a required property"],
        ),
        (_doc(vault={"id": "/not/a/vault", "location": "w"}), ["$.rules[0].vault.id"]),
        (
            _doc(match={"resourceTypes": ["Microsoft.Compute/virtualMachines"]}),
            ["$.rules[0].match.resourceTypes[0]"],
        ),
        (
            _doc(match={"resourceTypes": ["Microsoft.DBforPostgreSQL/servers/databases"]}),
            ["$.rules[0].keyVault"],
        ),
        (_doc(unknown=1), ["Additional properties are not allowed"]),
        ({"version": 1, "rules": [_doc()["rules"][0], _doc()["rules"][0]]}, ["duplicate rule name"]),
    ],
)
def test_bad_documents_list_every_problem_with_its_path(doc, fragments):
    with pytest.raises(RulesError) as info:
        Rules.from_document(doc)
    text = " | ".join(info.value.problems)
    for fragment in fragments:
        assert fragment in text


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(RulesError, match="not set"):
        load_rules("")
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nrules: [\n", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid JSON or YAML"):
        load_rules(str(bad))
    unquoted = tmp_path / "unquoted.yaml"
    unquoted.write_text(
        "version: 1\nexclude: {tags: {backup: off}}\nrules: " + json.dumps(_doc()["rules"]), encoding="utf-8"
    )
    with pytest.raises(RulesError, match=r"\$\.exclude\.tags\.backup"):
        load_rules(str(unquoted))


RSV = f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-westeurope"
SHARE_TYPE = "Microsoft.Storage/storageAccounts/fileServices/shares"
SHARE = f"{SA}/fileServices/default/shares/orders"


def _share_rule(**overrides):
    rule = {
        "name": "shares",
        "match": {"resourceTypes": [SHARE_TYPE]},
        "vault": {"id": RSV, "location": "westeurope"},
        "policy": "daily",
    }
    rule.update(overrides)
    return rule


def test_a_file_share_rule_names_a_recovery_services_vault_and_its_policy():
    rules = Rules.from_document({"version": 1, "rules": [_share_rule()]})

    d = rules.evaluate(resource_id=SHARE, location="westeurope", tags={})

    assert d.protect and d.datasource_kind == "file_share"
    assert (d.vault_id, d.policy_id) == (RSV, f"{RSV}/backupPolicies/daily")


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        (
            _share_rule(vault={"id": VAULT_WEU, "location": "westeurope"}),
            f"$.rules[0].vault.id: a Microsoft.DataProtection/backupVaults vault cannot protect {SHARE_TYPE}",
        ),
        (
            _share_rule(match={"resourceTypes": ["Microsoft.Storage/storageAccounts"]}),
            "$.rules[0].vault.id: a Microsoft.RecoveryServices/vaults vault cannot protect "
            "Microsoft.Storage/storageAccounts",
        ),
    ],
)
def test_a_vault_of_the_wrong_service_is_a_configuration_error_with_its_path(rule, fragment):
    with pytest.raises(RulesError) as info:
        Rules.from_document({"version": 1, "rules": [rule]})

    assert any(p.startswith(fragment) for p in info.value.problems), info.value.problems


def test_a_rule_naming_no_types_covers_only_what_its_vault_can_protect():
    rules = Rules.from_document({"version": 1, "rules": [_share_rule(match={})]})

    assert rules.evaluate(resource_id=SHARE, location="westeurope", tags={}).protect
    blob = rules.evaluate(resource_id=SA, location="westeurope", tags={})
    assert (blob.protect, blob.skip_reason) == (False, SkipReason.NO_RULE)
