from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import azure.durable_functions as df

from local.durable import ScaledClock, SystemClock
from local.durable.binding import client_binding_json
from local.durable.history import format_time, parse_time


def test_scaled_clock_runs_faster_and_converts_waits_to_real_seconds() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = ScaledClock(600.0, start)
    assert clock.now() >= start and clock.now().tzinfo is not None
    wait = clock.seconds_until(start + timedelta(minutes=10))
    assert 0.9 < wait <= 1.0
    assert clock.seconds_until(start - timedelta(days=1)) == 0.0
    assert SystemClock().seconds_until(datetime.now(UTC) + timedelta(seconds=5)) > 4


def test_timestamps_round_trip_in_the_sdk_format() -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    assert format_time(moment) == "2026-03-04T05:06:07.891011Z"
    assert parse_time(format_time(moment)) == moment
    assert parse_time("2026-03-04T05:06:07.8912345Z") == moment.replace(microsecond=891234)


def test_binding_payload_is_accepted_by_the_sdk_client() -> None:
    payload = client_binding_json("http://127.0.0.1:7071", "MyHub")
    data = json.loads(payload)
    assert data["rpcBaseUrl"] == "http://127.0.0.1:7071/runtime/webhooks/durabletask/"
    assert data["managementUrls"]["id"] == "INSTANCEID"
    client = df.DurableOrchestrationClient(payload)
    links = client.get_client_response_links(None, "abc")
    assert links["statusQueryGetUri"].startswith(
        "http://127.0.0.1:7071/runtime/webhooks/durabletask/instances/abc?"
    )
    assert "taskHub=MyHub" in links["sendEventPostUri"]
