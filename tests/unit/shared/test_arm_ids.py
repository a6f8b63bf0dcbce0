from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.arm.ids import parse_resource_id, parse_scope, quote_segment
from shared.errors import InvalidResourceIdError

SA = "/subscriptions/sub-1/resourceGroups/RG-Blob/providers/Microsoft.Storage/storageAccounts/acct1"
DB = (
    "/subscriptions/sub-1/resourcegroups/ossdemoRG/providers/Microsoft.DBforPostgreSQL"
    "/servers/srv/databases/empdb11"
)


def test_storage_account_id():
    rid = parse_resource_id(SA)
    assert (rid.subscription, rid.resource_group, rid.namespace) == ("sub-1", "RG-Blob", "Microsoft.Storage")
    assert rid.type == "Microsoft.Storage/storageAccounts"
    assert rid.name == "acct1"
    assert rid.parent is None
    assert rid.resource_group_id == "/subscriptions/sub-1/resourceGroups/RG-Blob"


def test_database_id_has_server_parent_and_canonical_casing():
    rid = parse_resource_id(DB)
    assert rid.type == "Microsoft.DBforPostgreSQL/servers/databases"
    assert rid.parent is not None
    assert rid.parent.type == "Microsoft.DBforPostgreSQL/servers"
    assert rid.parent.name == "srv"
    assert rid.canonical().startswith("/subscriptions/sub-1/resourceGroups/ossdemoRG/")


def test_case_insensitive_comparison():
    assert (
        parse_scope(SA).key() == parse_scope(SA.upper().replace("/SUBSCRIPTIONS/", "/Subscriptions/")).key()
    )
    assert parse_resource_id(DB).is_within("/subscriptions/SUB-1/resourceGroups/OSSDEMORG")
    assert not parse_resource_id(DB).is_within("/subscriptions/sub-1/resourceGroups/ossdemo")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "subscriptions/s/resourceGroups/r/providers/A.B/t/n",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/../x",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/./x",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a%2Fb",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a%2fb",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a%5Cb",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a%2e%2e",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a\\b",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a\x00",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a\nb",
        "/subscriptions/s//resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a?x=1",
        "/subscriptions/s/providers/Microsoft.Storage/storageAccounts/a",
        "/tenants/t/providers/Microsoft.Storage/storageAccounts/a",
        "/subscriptions/s/resourceGroups/r/providers/not a namespace/t/n",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a/providers/Microsoft.Authorization/roleAssignments/x",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/" + "a" * 3000,
        None,
        42,
    ],
)
def test_invalid_ids_are_rejected_with_a_clear_error(bad):
    with pytest.raises(InvalidResourceIdError) as info:
        parse_resource_id(bad)
    assert info.value.reason


def test_scope_parsing_of_subscription_and_group():
    assert parse_scope("/subscriptions/s").type == "Microsoft.Resources/subscriptions"
    assert parse_scope("/subscriptions/s/resourceGroups/r").type == "Microsoft.Resources/resourceGroups"


def test_quote_segment_encodes_recovery_services_names():
    assert quote_segment("StorageContainer;Storage;rg;acct") == "StorageContainer%3BStorage%3Brg%3Bacct"
    assert quote_segment("a b/c") == "a%20b%2Fc"


_names = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30)


@given(_names)
def test_parse_never_crashes_and_never_accepts_traversal(name):
    value = f"/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/{name}"
    try:
        rid = parse_resource_id(value)
    except InvalidResourceIdError:
        return
    for segment in rid.canonical().split("/")[1:]:
        assert segment not in ("", ".", "..")
        assert "%" not in segment and "\\" not in segment
