"""The KQL subset: operators, functions, column checks, and the InvalidQuery error shape."""

from __future__ import annotations

from typing import Any

import pytest

from local.cloud.resourcegraph.errors import InvalidQueryError
from local.cloud.resourcegraph.kql_eval import run
from local.cloud.resourcegraph.kql_parser import parse

SUB = "00000000-0000-0000-0000-000000000001"


def resource(name: str, rtype: str, rg: str = "rg1", sub: str = SUB, **props: Any) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{rtype}/{name}",
        "name": name,
        "type": rtype.lower(),
        "location": "westeurope",
        "resourceGroup": rg,
        "subscriptionId": sub,
        "tags": {"env": "prod"} if name.endswith("1") else {},
        "properties": props,
    }


ROWS = [
    resource("sa1", "Microsoft.Storage/storageAccounts", isHnsEnabled=True, kind="StorageV2"),
    resource("sa2", "Microsoft.Storage/storageAccounts", rg="rg2", isHnsEnabled=False),
    resource("pg1", "Microsoft.DBforPostgreSQL/flexibleServers", version="16"),
    resource("other-test", "Microsoft.Network/virtualNetworks", sub="00000000-0000-0000-0000-000000000002"),
]


def q(text: str, rows: list[dict[str, Any]] = ROWS) -> list[dict[str, Any]]:
    return run(parse(text), rows)


def test_where_case_insensitive_type_and_project() -> None:
    out = q("Resources | where type =~ 'Microsoft.Storage/storageAccounts' | project id, name")
    assert [r["name"] for r in out] == ["sa1", "sa2"]
    assert set(out[0]) == {"id", "name"}


def test_equality_is_case_sensitive() -> None:
    assert q("Resources | where type == 'Microsoft.Storage/storageAccounts'") == []
    assert len(q("Resources | where type == 'microsoft.storage/storageaccounts'")) == 2


def test_in_and_in_tilde_and_negations() -> None:
    assert len(q(f"Resources | where subscriptionId in ('{SUB}')")) == 3
    assert len(q(f"Resources | where subscriptionId !in ('{SUB}')")) == 1
    assert len(q("Resources | where name in~ ('SA1', 'PG1')")) == 2
    assert len(q("Resources | where name in ('SA1', 'PG1')")) == 0


def test_has_contains_startswith() -> None:
    assert [r["name"] for r in q("Resources | where name has 'test'")] == ["other-test"]
    assert [r["name"] for r in q("Resources | where name has 'tes'")] == []
    assert len(q("Resources | where name contains 'A'")) == 2
    assert len(q("Resources | where name !contains 'a'")) == 2
    assert len(q("Resources | where name startswith 'sa' and resourceGroup == 'rg2'")) == 1


def test_dynamic_properties_extend_tostring_and_or() -> None:
    out = q(
        "Resources | where type =~ 'microsoft.storage/storageaccounts' "
        "| extend hns = tostring(properties.isHnsEnabled), k = tolower(properties['kind']) "
        "| where hns == 'true' or k == 'storagev2' | project name, hns, k"
    )
    assert out == [{"name": "sa1", "hns": "true", "k": "storagev2"}]


def test_project_dotted_names_and_rename() -> None:
    out = q("Resources | where name == 'pg1' | project n = name, properties.version")
    assert out == [{"n": "pg1", "properties_version": "16"}]


def test_order_by_defaults_to_descending_and_take() -> None:
    assert [r["name"] for r in q("Resources | order by name | take 2")] == ["sa2", "sa1"]
    assert [r["name"] for r in q("Resources | sort by name asc | limit 1")] == ["other-test"]


def test_summarize_count_by_and_count() -> None:
    out = q("Resources | summarize count() by type | order by type asc")
    assert {"type": "microsoft.storage/storageaccounts", "count_": 2} in out
    assert q("Resources | where name == 'none' | count") == [{"Count": 0}]
    assert q("Resources | summarize n = count()") == [{"n": 4}]


def test_project_away_distinct_and_top() -> None:
    out = q("Resources | where name == 'pg1' | project-away properties, tags, identity")
    assert "properties" not in out[0] and "tags" not in out[0] and out[0]["name"] == "pg1"
    assert q("Resources | distinct resourceGroup, subscriptionId | order by resourceGroup asc") == [
        {"resourceGroup": "rg1", "subscriptionId": SUB},
        {"resourceGroup": "rg1", "subscriptionId": "00000000-0000-0000-0000-000000000002"},
        {"resourceGroup": "rg2", "subscriptionId": SUB},
    ]
    assert [r["name"] for r in q("Resources | top 2 by name asc")] == ["other-test", "pg1"]
    assert [r["name"] for r in q("Resources | top 1 by name")] == ["sa2"]  # desc unless told otherwise


def test_unnamed_expressions_are_named_as_kql_names_them() -> None:
    out = q(
        "Resources | where type =~ 'microsoft.storage/storageaccounts' "
        "| summarize count() by tostring(properties.isHnsEnabled) | order by properties_isHnsEnabled asc"
    )
    assert out == [
        {"properties_isHnsEnabled": "false", "count_": 1},
        {"properties_isHnsEnabled": "true", "count_": 1},
    ]
    assert q("Resources | where name == 'sa1' | project tolower(name), strcat(name, 'x')") == [
        {"name": "sa1", "Column1": "sa1x"}
    ]


def test_dynamic_scalars_compare_with_strings_by_their_string_form() -> None:
    assert [r["name"] for r in q("Resources | where properties.isHnsEnabled == 'true'")] == ["sa1"]
    assert [r["name"] for r in q("Resources | where properties.isHnsEnabled != 'true'")] == ["sa2"]
    assert [r["name"] for r in q("Resources | where properties.version == 16")] == ["pg1"]
    assert [r["name"] for r in q("Resources | where properties.version == '17'")] == []


def test_tags_with_spaces_and_isnotempty() -> None:
    rows = [{**ROWS[0], "tags": {"backup policy": "exclude"}}, ROWS[1]]
    assert [r["name"] for r in q("Resources | where tags['backup policy'] =~ 'EXCLUDE'", rows)] == ["sa1"]
    assert [r["name"] for r in q("Resources | where isnotempty(tags)", rows)] == ["sa1"]


def test_query_starting_with_operator_runs_on_resources() -> None:
    assert len(q("where type =~ 'microsoft.storage/storageaccounts'")) == 2


def test_comments_and_double_quotes() -> None:
    assert len(q('Resources // all\n| where name == "sa1"')) == 1


@pytest.mark.parametrize(
    "text",
    [
        "Resources | join (Resources) on id",
        "Resources | where name ==",
        "Resources | mv-expand x = properties",
        "Resources | summarize dcount(name)",
        "Resources | where parse_json(name) == 1",
        "Resources | project nmae",
        "NoSuchTable | take 1",
        "Resources | where name == 'unterminated",
    ],
)
def test_unsupported_or_malformed_queries_raise_invalid_query(text: str) -> None:
    with pytest.raises(InvalidQueryError) as info:
        q(text)
    body = info.value.body()
    assert body["error"]["code"] == "BadRequest"
    assert body["error"]["details"][0]["code"] == "InvalidQuery"
    assert body["error"]["details"][1]["code"] == "ParserFailure"
    assert info.value.status == 400
