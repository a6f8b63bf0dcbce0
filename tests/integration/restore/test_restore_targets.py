"""Restore targets are what ARM says they are: a container URL on a look-alike host is refused, and so is a
restore whose source or target lies outside the allowed scopes (nothing starts)."""

from __future__ import annotations

from typing import Any

from tests.integration.restore.restore_stack import ACCOUNT, DEV_ACCOUNT, PG_FLEX, RestoreApi


def _as_files(api: RestoreApi, url: str, container_account: str = ACCOUNT) -> dict[str, Any]:
    point = api.points(PG_FLEX)["recoveryPoints"][0]["id"]
    return {
        "kind": "recoveryPointAsFiles",
        "resourceId": PG_FLEX,
        "recoveryPointId": point,
        "target": {
            "containerId": f"{container_account}/blobServices/default/containers/pgrestores",
            "containerUrl": url,
            "filePrefix": "crm",
        },
    }


def test_a_container_url_on_a_look_alike_host_is_refused(api: RestoreApi) -> None:
    before = api.get("/restores").json()["count"]
    for url in (
        "https://strestoresrc.blob.core.windows.net.evil.example/pgrestores",
        "https://strestoresrc.blob.attacker.example/pgrestores",
    ):
        answer = api.post(_as_files(api, url), dryRun="true")
        assert answer.status_code in (400, 422), (url, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    good = api.post(_as_files(api, "https://strestoresrc.blob.core.windows.net/pgrestores"), dryRun="true")
    assert good.status_code == 200, good.text
    assert api.get("/restores").json()["count"] == before


def test_a_target_outside_the_allowed_scopes_is_refused(api: RestoreApi) -> None:
    outside = "https://strestoredev.blob.core.windows.net/pgrestores"
    answer = api.post(_as_files(api, outside, container_account=DEV_ACCOUNT))
    assert answer.status_code == 403, answer.text
    assert answer.json()["type"].endswith("/scope-not-allowed")


def test_restore_points_of_a_resource_outside_the_scopes_are_not_shown(api: RestoreApi) -> None:
    answer = api.get("/restore-points", resourceId=DEV_ACCOUNT)
    assert answer.status_code == 403, answer.text
    assert "restorableTimeRanges" not in answer.text
