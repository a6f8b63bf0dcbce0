"""Event delivery end to end: duplicates and disorder, malformed events, malformed queue messages."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from functions.protection.queues import (
    PROTECTION_REJECTS,
    PROTECTION_REQUESTS,
    PROTECTION_REQUESTS_POISON,
    RESOURCE_EVENTS,
)
from local.stack import LocalStack, subscription_name
from tests.integration.protection.support import (
    DEV,
    PROD,
    Outcomes,
    Recorder,
    account_body,
    account_id,
    backup_instances,
    host_log,
    post_events,
    put_account,
    send_raw,
    stack_config,
    wait_messages,
)

DEMO_RULES = Path(__file__).resolve().parents[3] / "local" / "demo" / "rules.yaml"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(stack_config("delivery", DEMO_RULES)) as running:
        yield running


@pytest.fixture(scope="module")
def outcomes(stack: LocalStack) -> Outcomes:
    return Outcomes(stack)


def _capture_dev_events(stack: LocalStack, recorder: Recorder) -> None:
    """Deliver the dev subscription's events to the recorder instead of the app."""
    stack.admin("DELETE", f"/_admin/eventgrid/subscriptions/{subscription_name(DEV)}")
    stack.admin(
        "POST",
        "/_admin/eventgrid/subscriptions",
        {
            "name": "capture-dev",
            "endpoint": recorder.url,
            "scope": f"/subscriptions/{DEV}",
            "schema": "EventGridSchema",
            "skipValidation": True,
            "filter": {"includedEventTypes": ["Microsoft.Resources.ResourceWriteSuccess"]},
        },
    )


def test_each_event_three_times_shuffled_gives_one_backup_instance(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    names = [f"e2edup{i}" for i in range(6)]
    ids = [account_id(DEV, "rg-dev", name) for name in names]
    recorder = Recorder()
    try:
        _capture_dev_events(stack, recorder)
        for resource in ids:
            put_account(stack, resource, account_body())
        deadline = time.monotonic() + 15
        while len(recorder.events()) < len(ids) and time.monotonic() < deadline:
            time.sleep(0.1)
        events = recorder.events()
    finally:
        stack.admin("DELETE", "/_admin/eventgrid/subscriptions/capture-dev")
        stack.subscribe(DEV)
        recorder.close()
    assert {e["subject"].lower() for e in events} == {r.lower() for r in ids}
    deliveries = events * 3
    random.Random(7).shuffle(deliveries)

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda event: post_events(stack, [event]).status_code, deliveries))
    assert all(200 <= s < 300 for s in statuses), statuses

    got = outcomes.wait_for(ids)
    time.sleep(2.0)  # let late duplicates run through the queue before counting
    outcomes.collect()
    instances = backup_instances(stack)
    for resource in ids:
        assert got[resource]["kind"] == "protected", got[resource]
        assert len(instances[resource.lower()]) == 1, instances[resource.lower()]
        kinds = {e["data"]["kind"] for e in outcomes.for_id(resource)}
        assert kinds == {"protected"}, f"{resource}: duplicate deliveries produced {kinds}"


def _event(subject: str, **overrides: object) -> dict[str, object]:
    event: dict[str, object] = {
        "id": f"bad-{abs(hash(subject)) % 10**8}-{len(overrides)}",
        "subject": subject,
        "eventType": "Microsoft.Resources.ResourceWriteSuccess",
        "eventTime": "2025-01-01T00:00:00Z",
        "dataVersion": "2",
        "metadataVersion": "1",
        "topic": f"/subscriptions/{PROD}",
        "data": {
            "resourceUri": subject,
            "operationName": "Microsoft.Storage/storageAccounts/write",
            "status": "Succeeded",
            "subscriptionId": PROD,
        },
    }
    event.update(overrides)
    return event


def test_bad_events_are_rejected_with_a_reason_and_nothing_crashes(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    good_but_gone = account_id(PROD, "rg-data-weu", "e2eneverexisted")
    vm = f"/subscriptions/{PROD}/resourceGroups/rg-data-weu/providers/Microsoft.Compute/virtualMachines/vm1"
    bad = {
        "type": _event(
            account_id(PROD, "rg-data-weu", "a1"), eventType="Microsoft.Resources.ResourceActionSuccess"
        ),
        "deletewrite": _event(  # a delete event that says it was a write: contradictory, refused
            account_id(PROD, "rg-data-weu", "a6"), eventType="Microsoft.Resources.ResourceDeleteSuccess"
        ),
        "data": _event(account_id(PROD, "rg-data-weu", "a2"), data="not an object"),
        "unsupported": _event(vm),
        "dotdot": _event(account_id(PROD, "rg-data-weu", "a3") + "/../../../../evil"),
        "encoded": _event(account_id(PROD, "rg-data-weu", "a4%2Fblob")),
        "failedwrite": _event(account_id(PROD, "rg-data-weu", "a5")),
    }
    bad["failedwrite"]["data"] = {**bad["failedwrite"]["data"], "status": "Failed"}  # type: ignore[dict-item]
    for event in bad.values():
        assert post_events(stack, [event]).status_code in (200, 202)
    not_json = post_events(stack, b"{this is not json")
    assert not_json.status_code < 500, not_json.text
    assert post_events(stack, [_event(good_but_gone)]).status_code in (200, 202)

    rejects = wait_messages(stack, PROTECTION_REJECTS, len(bad))
    by_id = {r["event_id"]: r["reason"] for r in rejects}
    reasons = {key: by_id[str(event["id"])] for key, event in bad.items()}
    assert (
        "only Microsoft.Resources.ResourceWriteSuccess and Microsoft.Resources.ResourceDeleteSuccess"
        in (reasons["type"])
    )
    assert "is not a delete" in reasons["deletewrite"]
    assert reasons["data"] == "event data must be a JSON object"
    assert "Microsoft.Compute/virtualMachines is not a datasource" in reasons["unsupported"]
    assert reasons["dotdot"].startswith("invalid resource id")
    assert reasons["encoded"].startswith("invalid resource id")
    assert "did not succeed" in reasons["failedwrite"]
    log = host_log(stack)
    for event in bad.values():
        assert f"event {event['id']} not acted on" in log

    # The host is alive and still works: a valid event for a resource that does not exist is a skip.
    assert outcomes.wait_for([good_but_gone])[good_but_gone]["kind"] == "skipped"
    assert stack.host is not None and stack.host.process is not None
    assert stack.host.process.poll() is None


def test_malformed_queue_messages_go_to_poison_with_their_reason(stack: LocalStack) -> None:
    bodies = {
        "notjson": "this is not json",
        "noid": '{"resource_type": "Microsoft.Storage/storageAccounts"}',
        "trick": '{"datasource_id": "/subscriptions/' + PROD + "/resourceGroups/rg/providers/"
        'Microsoft.Storage/storageAccounts/x/../../../../../etc"}',
        "origin": '{"datasource_id": "' + account_id(PROD, "rg-data-weu", "x") + '", "origin": "evil"}',
    }
    for body in bodies.values():
        send_raw(stack, PROTECTION_REQUESTS, body)

    poison = wait_messages(stack, PROTECTION_REQUESTS_POISON, len(bodies))

    by_body = {p["message"]: p["reason"] for p in poison}
    assert set(by_body) == set(bodies.values())
    assert "origin" in by_body[bodies["origin"]]
    assert "datasource_id" in by_body[bodies["noid"]]
    for reason in by_body.values():
        assert reason
    assert "malformed protection request" in host_log(stack)
    host = stack.host
    assert host is not None
    status = httpx.get(f"{host.base_url}/admin/host/status", headers={"x-functions-key": host.master_key})
    assert status.status_code == 200


def test_an_event_delivered_again_after_a_failed_outcome_is_not_redone_but_a_new_write_is(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    resource = account_id(PROD, "rg-data-neu", "e2eredelivered")  # its vault lacks the role: it fails
    start = outcomes.mark()
    put_account(stack, resource, account_body("northeurope"))  # the emulator's own write event
    assert outcomes.wait_for([resource], start=start)[resource]["kind"] == "failed"

    def outcomes_after(count: int, timeout: float = 45.0) -> int:
        deadline = time.monotonic() + timeout
        while len(outcomes.for_id(resource, start)) < count and time.monotonic() < deadline:
            outcomes.collect(wait=1.0)
        return len(outcomes.for_id(resource, start))

    event = _event(resource, id="redelivered-1")
    assert post_events(stack, [event]).status_code < 300  # another write: a failed protection is redone
    assert outcomes_after(2) == 2
    assert post_events(stack, [event]).status_code < 300  # the same event again (at least once)
    assert outcomes_after(3, timeout=4.0) == 2  # its outcome stands: nothing is redone
    assert post_events(stack, [_event(resource, id="a-new-write")]).status_code < 300
    assert outcomes_after(3) == 3


def test_a_write_of_a_protected_datasource_re_checks_it_and_protects_again_when_its_instance_is_gone(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    resource = account_id(PROD, "rg-data-weu", "e2erecheck")
    start = outcomes.mark()
    put_account(stack, resource, account_body())
    first = outcomes.wait_for([resource], start=start)[resource]
    assert first["kind"] == "protected"
    instance = first["backup_instance_id"]

    put_account(stack, resource, account_body(tags={"owner": "team-a"}))  # an update: another write event
    time.sleep(4.0)
    outcomes.collect()
    assert len(outcomes.for_id(resource, start)) == 1  # re-checked (one read): unchanged, nothing published
    assert len(backup_instances(stack)[resource.lower()]) == 1

    # Out of band, by someone else, in a vault that does not keep deleted instances (with soft delete on,
    # the service refuses to protect the datasource again: test_lifecycle covers that outcome).
    vault = instance.rsplit("/backupInstances/", 1)[0]
    soft_delete = {"softDeleteSettings": {"state": "Off", "retentionDurationInDays": 14}}
    settings = {"location": "westeurope", "properties": {"securitySettings": soft_delete}}
    off = stack.arm("PUT", vault, settings, api_version="2025-09-01")
    assert off.status_code in (200, 201), off.text
    deleted = stack.arm("DELETE", instance, api_version="2025-09-01")
    assert deleted.status_code in (200, 202, 204), deleted.text
    deadline = time.monotonic() + 30
    while resource.lower() in backup_instances(stack) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert resource.lower() not in backup_instances(stack)
    soft_delete["softDeleteSettings"]["state"] = "On"
    assert stack.arm("PUT", vault, settings, api_version="2025-09-01").status_code in (200, 201)
    put_account(stack, resource, account_body(tags={"owner": "team-b"}))
    deadline = time.monotonic() + 45
    while len(outcomes.for_id(resource, start)) < 2 and time.monotonic() < deadline:
        outcomes.collect(wait=1.0)
    again = outcomes.for_id(resource, start)
    assert len(again) == 2 and again[-1]["data"]["kind"] == "protected", again
    assert len(backup_instances(stack)[resource.lower()]) == 1  # protected again, once


def test_a_deleted_datasource_is_reported_orphaned_and_its_next_creation_is_protected_again(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    resource = account_id(PROD, "rg-data-weu", "e2edeleted")
    start = outcomes.mark()
    put_account(stack, resource, account_body())
    assert outcomes.wait_for([resource], start=start)[resource]["kind"] == "protected"

    deleted = stack.arm("DELETE", resource)
    assert deleted.status_code in (200, 202, 204), deleted.text
    deadline = time.monotonic() + 45
    while len(outcomes.for_id(resource, start)) < 2 and time.monotonic() < deadline:
        outcomes.collect(wait=1.0)
    orphaned = outcomes.for_id(resource, start)[-1]
    assert orphaned["type"] == "BackupAutopilot.Protection.Orphaned", orphaned
    assert orphaned["data"]["backup_instance_id"] in {
        i for ids in backup_instances(stack).values() for i in ids
    }
    assert "never deleted automatically" in orphaned["data"]["reason"]

    put_account(stack, resource, account_body())  # the same name again: a new resource to protect
    deadline = time.monotonic() + 45
    while len(outcomes.for_id(resource, start)) < 3 and time.monotonic() < deadline:
        outcomes.collect(wait=1.0)
    assert outcomes.for_id(resource, start)[-1]["data"]["kind"] in ("protected", "already_protected")


def test_events_event_grid_writes_to_the_resource_events_queue_are_acted_on_like_pushed_ones(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    """The private-network option: Event Grid writes each event, Base64-encoded, to ``resource-events``.

    The dev subscription's events go to a recorder instead of the app; the one recorded for a new account is
    put on the queue as Event Grid would, and only that reaches the app.
    """
    resource = account_id(DEV, "rg-dev", "e2equeued")
    recorder = Recorder()
    try:
        _capture_dev_events(stack, recorder)
        start = outcomes.mark()
        put_account(stack, resource, account_body())
        deadline = time.monotonic() + 15
        while not recorder.events() and time.monotonic() < deadline:
            time.sleep(0.1)
        (event,) = recorder.events()
    finally:
        stack.admin("DELETE", "/_admin/eventgrid/subscriptions/capture-dev")
        stack.subscribe(DEV)
        recorder.close()
    time.sleep(1.0)
    outcomes.collect()
    assert outcomes.for_id(resource, start) == []  # nothing was pushed to the app

    send_raw(stack, RESOURCE_EVENTS, json.dumps(event))
    send_raw(stack, RESOURCE_EVENTS, "not an event")
    got = outcomes.wait_for([resource], start=start)[resource]
    rejects = wait_messages(stack, PROTECTION_REJECTS, 1)

    assert got["kind"] == "protected", got
    assert got["correlation_id"] == event["data"]["correlationId"]
    assert any("JSON" in r["reason"] for r in rejects), rejects
