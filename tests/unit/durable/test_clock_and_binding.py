from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import azure.durable_functions as df

from local.durable import ClockAnchor, ScaledClock
from local.durable.binding import client_binding_json
from local.durable.history import format_time, parse_time


def test_scaled_clock_runs_faster_and_converts_waits_to_real_seconds() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = ScaledClock(600.0, start)
    assert clock.now() >= start and clock.now().tzinfo is not None
    wait = clock.seconds_until(start + timedelta(minutes=10))
    assert 0.9 < wait <= 1.0
    assert clock.seconds_until(start - timedelta(days=1)) == 0.0
    assert ScaledClock().seconds_until(datetime.now(UTC) + timedelta(seconds=5)) > 4


def test_anchor_projects_its_timeline_and_never_goes_back_before_itself() -> None:
    wall = datetime(2026, 1, 1, tzinfo=UTC)
    anchor = ClockAnchor(wall, wall + timedelta(hours=2), 300.0)
    assert anchor.engine_at(wall + timedelta(seconds=10)) == wall + timedelta(hours=2, minutes=50)
    assert anchor.engine_at(wall - timedelta(hours=1)) == anchor.engine  # the wall clock was set back
    assert ClockAnchor.from_json(anchor.to_json()) == anchor


def test_a_resumed_clock_goes_on_from_the_saved_timeline_at_its_own_factor() -> None:
    first = ScaledClock(300.0, datetime.now(UTC) + timedelta(hours=1))  # as after 12 s at 300x: 1 h ahead
    saved = first.anchor()
    before_restart = first.now()
    second = ScaledClock(1.0)  # restarted without a time factor: must not fall back to the wall clock
    second.resume(saved)
    assert second.now() >= before_restart
    assert second.now() - datetime.now(UTC) > timedelta(minutes=59)
    assert second.anchor().factor == 1.0


def test_timestamps_round_trip_in_the_sdk_format() -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    assert format_time(moment) == "2026-03-04T05:06:07.891011Z"
    assert parse_time(format_time(moment)) == moment
    assert parse_time("2026-03-04T05:06:07.8912345Z") == moment.replace(microsecond=891234)


def test_binding_payload_is_accepted_by_the_sdk_client_and_carries_the_system_key() -> None:
    rpc = "http://127.0.0.1:40000/durabletask/"
    payload = client_binding_json("http://127.0.0.1:7071", "MyHub", rpc, "k&y")
    data = json.loads(payload)
    assert data["rpcBaseUrl"] == rpc  # the SDK's own calls: the loopback RPC endpoint
    assert data["baseUrl"] == "http://127.0.0.1:7071/runtime/webhooks/durabletask"
    assert data["requiredQueryStringParameters"] == "code=k%26y"
    assert data["creationUrls"]["createNewInstancePostUri"].endswith("[/{instanceId}]?code=k%26y")
    assert data["managementUrls"]["id"] == "INSTANCEID"
    client = df.DurableOrchestrationClient(payload)
    links = client.get_client_response_links(None, "abc")
    assert links["statusQueryGetUri"] == (
        "http://127.0.0.1:7071/runtime/webhooks/durabletask/instances/abc"
        "?taskHub=MyHub&connection=Storage&code=k%26y"
    )
    assert all(url.endswith("&code=k%26y") for key, url in links.items() if key != "id")


def test_without_a_system_key_the_urls_carry_no_code() -> None:
    data = json.loads(client_binding_json("http://h", "MyHub", "http://127.0.0.1:1/durabletask/", None))
    assert data["requiredQueryStringParameters"] == ""
    assert data["managementUrls"]["statusQueryGetUri"].endswith("?taskHub=MyHub&connection=Storage")
