from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.host.errors import SettingsError, StartupError
from local.host.queue_listener import QueueOptions
from local.host.settings import DEFAULT_DURABLETASK_KEY, DEFAULT_MASTER_KEY, Settings
from local.host.timer import Schedule
from local.host.timespan import seconds


def write_settings(tmp_path: Path, values: dict[str, str]) -> None:
    (tmp_path / "local.settings.json").write_text(json.dumps({"IsEncrypted": False, "Values": values}))


def test_environment_wins_over_local_settings(tmp_path: Path) -> None:
    write_settings(tmp_path, {"A": "file", "B": "file"})
    settings = Settings.load(tmp_path, {"A": "env"})
    assert settings.get("A") == "env"
    assert settings.get("B") == "file"
    assert settings.skipped_from_file == ("A",)


def test_keys_default_and_override(tmp_path: Path) -> None:
    assert Settings.load(tmp_path, {}).master_key == DEFAULT_MASTER_KEY
    assert Settings.load(tmp_path, {"FUNCTIONS_MASTER_KEY": "m"}).master_key == "m"
    assert Settings.load(tmp_path, {}).durabletask_key == DEFAULT_DURABLETASK_KEY
    assert Settings.load(tmp_path, {"FUNCTIONS_DURABLETASK_KEY": "d"}).durabletask_key == "d"


def test_connection_resolution_and_missing(tmp_path: Path) -> None:
    settings = Settings.load(
        tmp_path, {"AzureWebJobsStorage": "UseDevelopmentStorage=true", "AzureWebJobsX": "c"}
    )
    assert "10001" in settings.connection_string("AzureWebJobsStorage", "test")
    assert settings.connection_string("X", "test") == "c"
    with pytest.raises(SettingsError, match="'Nope' is missing"):
        settings.connection_string("Nope", "test")


def test_percent_expressions_and_hub_name(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path, {"Q": "orders", "WEBSITE_SITE_NAME": "site"})
    assert settings.resolve("%Q%-in") == "orders-in"
    with pytest.raises(SettingsError):
        settings.resolve("%Missing%")
    assert settings.hub_name({}) == "site"
    assert settings.hub_name({"extensions": {"durableTask": {"hubName": "Hub1"}}}) == "Hub1"
    assert Settings.load(tmp_path, {}).hub_name({}) == "TestHubName"


def test_invalid_local_settings(tmp_path: Path) -> None:
    (tmp_path / "local.settings.json").write_text("{not json")
    with pytest.raises(SettingsError):
        Settings.load(tmp_path, {})


def test_timespans_and_queue_options() -> None:
    assert seconds("00:00:02", "x") == 2
    assert seconds("1.00:00:00.5", "x") == 86400.5
    assert seconds(1500, "x") == 1.5
    with pytest.raises(StartupError):
        seconds("soon", "x")
    options = QueueOptions.from_host_json({"extensions": {"queues": {"batchSize": 64, "maxDequeueCount": 3}}})
    assert options.batch_size == 32
    assert options.new_batch_threshold == 16
    assert options.max_dequeue_count == 3
    assert QueueOptions.from_host_json({}).max_polling_interval == 2.0


def test_schedules() -> None:
    from datetime import UTC, datetime

    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert Schedule("*/5 * * * * *").next_after(start) == datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC)
    assert Schedule("0 30 9 * * *").next_after(start) == datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
    assert Schedule("00:10:00").next_after(start) == datetime(2026, 1, 1, 0, 10, tzinfo=UTC)
    assert Schedule("0 0 * * * *").typical_interval(start) == 3600
    with pytest.raises(StartupError):
        Schedule("* * * * *")  # five fields: not NCRONTAB


def test_durable_worker_default_and_parsing(tmp_path: Path) -> None:
    assert Settings.load(tmp_path, {}).durable_worker == (0, 1)
    assert Settings.load(tmp_path, {"LOCAL_DURABLE_WORKER": ""}).durable_worker == (0, 1)
    assert Settings.load(tmp_path, {"LOCAL_DURABLE_WORKER": "1/2"}).durable_worker == (1, 2)
    assert Settings.load(tmp_path, {"LOCAL_DURABLE_WORKER": " 3 / 4 "}).durable_worker == (3, 4)
    write_settings(tmp_path, {"LOCAL_DURABLE_WORKER": "1/3"})
    assert Settings.load(tmp_path, {}).durable_worker == (1, 3)


@pytest.mark.parametrize("raw", ["2/2", "x", "1-2", "-1/2", "3/1", "1/", "/2", "1/2/3"])
def test_durable_worker_rejects_malformed(tmp_path: Path, raw: str) -> None:
    settings = Settings.load(tmp_path, {"LOCAL_DURABLE_WORKER": raw})
    with pytest.raises(SettingsError, match="LOCAL_DURABLE_WORKER") as caught:
        _ = settings.durable_worker
    assert repr(raw) in str(caught.value)


def test_the_task_hub_storage_follows_the_storage_providers_connection_name(tmp_path: Path) -> None:
    values = {"AzureWebJobsStorage": "main", "HubStorage": "hub", "AzureWebJobsOther": "other"}
    settings = Settings.load(tmp_path, values)
    named = {"extensions": {"durableTask": {"storageProvider": {"connectionName": "HubStorage"}}}}
    legacy = {"extensions": {"durableTask": {"storageProvider": {"connectionStringName": "Other"}}}}
    assert settings.durable_connection_string({}) == "main"
    assert settings.durable_connection_string({"extensions": {"durableTask": {"hubName": "h"}}}) == "main"
    assert settings.durable_connection_string(named) == "hub"
    assert settings.durable_connection_string(legacy) == "other"  # AzureWebJobs<name>, as bindings resolve it
    with pytest.raises(SettingsError, match="'Missing' is missing"):
        settings.durable_connection_string(
            {"extensions": {"durableTask": {"storageProvider": {"connectionName": "Missing"}}}}
        )


def test_an_app_setting_overrides_host_json_as_azure_functions_job_host(tmp_path: Path) -> None:
    override = "AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionName"
    settings = Settings.load(
        tmp_path, {"AzureWebJobsStorage": "main", "HubStorage": "hub", override: "HubStorage"}
    )
    named = {"extensions": {"durableTask": {"storageProvider": {"connectionName": "Elsewhere"}}}}
    assert settings.durable_connection_string({}) == "hub"
    assert settings.durable_connection_string(named) == "hub"  # the app setting wins over host.json
    assert settings.host_json_value({"a": {"b": 1}}, "a", "b") == 1
    assert settings.host_json_value({"a": 1}, "a", "b") is None
