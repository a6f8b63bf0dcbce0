"""Vaulted blob backup, pure parts: a container write concerns its account, a rule's container selection,
and the backup instance body that names the containers."""

from __future__ import annotations

import copy

import pytest

from shared.errors import RulesError
from shared.protection.containers import describe, select_containers
from shared.protection.kinds import BLOB, owner_of_member
from shared.protection.resource_events import RESOURCE_DELETE_SUCCESS, Rejection, request_from_event
from shared.protection.rules import Rules
from shared.services import dataprotection as dp
from tests.unit.shared.test_hostile_protection_input import SA, eventgrid

CONTAINER = f"{SA}/blobServices/default/containers/invoices"


def test_a_container_write_is_a_protection_request_for_its_account_and_its_delete_is_rejected() -> None:
    data = {**eventgrid()["data"], "resourceUri": CONTAINER}
    data["operationName"] = "Microsoft.Storage/storageAccounts/blobServices/containers/write"
    written = request_from_event(eventgrid(subject=CONTAINER, data=data))
    deleted = request_from_event(
        eventgrid(
            subject=CONTAINER,
            eventType=RESOURCE_DELETE_SUCCESS,
            data={
                **data,
                "operationName": "Microsoft.Storage/storageAccounts/blobServices/containers/delete",
            },
        )
    )
    assert not isinstance(written, Rejection)
    assert (written.datasource_id, written.resource_type, written.origin) == (
        SA,
        "Microsoft.Storage/storageAccounts",
        "event",
    )
    assert isinstance(deleted, Rejection) and "not a datasource" in deleted.reason
    assert owner_of_member(CONTAINER) == (BLOB, SA)
    assert owner_of_member(SA) is None


def test_the_selection_takes_names_and_prefixes_or_everything() -> None:
    existing = ["reports", "invoices", "invoices-2025", "archive"]
    assert select_containers(existing, None) == ["archive", "invoices", "invoices-2025", "reports"]
    assert select_containers(existing, {"names": ["reports"], "prefixes": ["invoices"]}) == [
        "invoices",
        "invoices-2025",
        "reports",
    ]
    assert select_containers(existing, {"names": ["missing"]}) == []
    assert describe(None) == "every container"
    assert describe({"names": ["a"], "prefixes": ["logs-"]}) == "containers a, logs-*"


def test_the_instance_body_names_the_containers_and_reads_back() -> None:
    instance = dp.backup_instance(
        data_source_info=dp.datasource_info(SA, datasource_type=BLOB.datasource_type, location="westeurope"),
        policy=dp.policy_info(f"{SA}/x"),
    )
    before = copy.deepcopy(instance)
    vaulted = dp.with_blob_containers(instance, ["invoices", "reports"])
    assert instance == before  # not modified in place
    assert dp.blob_containers_of(vaulted) == ["invoices", "reports"]
    assert dp.blob_containers_of({"properties": vaulted}) == ["invoices", "reports"]
    assert dp.blob_containers_of(instance) is None
    assert vaulted["policyInfo"]["policyParameters"]["backupDatasourceParametersList"] == [
        {"objectType": "BlobBackupDatasourceParameters", "containersList": ["invoices", "reports"]}
    ]


VAULT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/bv"


def _rules(selection: object) -> dict[str, object]:
    rule = {"name": "vaulted", "vault": {"id": VAULT, "location": "westeurope"}, "policy": "blob-vaulted"}
    return {"version": 1, "rules": [{**rule, "blobContainers": selection}]}


def test_rules_take_a_container_selection_and_refuse_an_empty_or_unknown_one() -> None:
    decision = Rules.from_document(_rules({"prefixes": ["invoices"]})).evaluate(
        resource_id=SA, resource_type="Microsoft.Storage/storageAccounts", location="westeurope", tags={}
    )
    assert decision.protect and decision.containers == {"prefixes": ["invoices"]}
    bad_selections: list[dict[str, list[str]]] = [{}, {"names": []}, {"glob": ["*"]}]
    for bad in bad_selections:
        with pytest.raises(RulesError) as refused:
            Rules.from_document(_rules(bad))
        assert "blobContainers" in str(refused.value.to_dict())
