"""Resource Graph request handling: paging with $top/$skip/$skipToken, table format, and the user quota."""

from __future__ import annotations

import pytest

from local.cloud.resourcegraph.errors import InvalidRequestError, QuotaExceededError
from local.cloud.resourcegraph.quota import UserQuota
from local.cloud.resourcegraph.service import QueryRequest, execute

SUB = "00000000-0000-0000-0000-000000000001"
ROWS = [
    {
        "id": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa{i:04d}",
        "name": f"sa{i:04d}",
        "type": "microsoft.storage/storageaccounts",
        "subscriptionId": SUB,
    }
    for i in range(2500)
]


def rows_of(table: str) -> list[dict[str, str]]:
    assert table == "Resources"
    return ROWS


def request(query: str, **options: object) -> QueryRequest:
    return QueryRequest.from_body({"subscriptions": [SUB], "query": query, "options": options})


def test_default_page_is_1000_rows_and_skip_token_walks_all_rows() -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        opts: dict[str, object] = {"$skipToken": token} if token else {}
        body = execute(request("Resources | project id, name", **opts), rows_of)
        pages += 1
        assert body["totalRecords"] == 2500 and body["resultTruncated"] == "false" and body["facets"] == []
        assert body["count"] == len(body["data"]) <= 1000
        seen.extend(r["name"] for r in body["data"])
        token = body.get("$skipToken")
        if not token:
            break
    assert pages == 3
    assert seen == [r["name"] for r in ROWS]


def test_top_skip_and_token_keeps_page_size() -> None:
    first = execute(request("Resources | project id, name", **{"$top": 3, "$skip": 5}), rows_of)
    assert [r["name"] for r in first["data"]] == ["sa0005", "sa0006", "sa0007"]
    second = execute(request("Resources | project id, name", **{"$skipToken": first["$skipToken"]}), rows_of)
    assert [r["name"] for r in second["data"]] == ["sa0008", "sa0009", "sa0010"]


def test_without_id_column_the_result_is_truncated_not_paged() -> None:
    body = execute(request("Resources | project name"), rows_of)
    assert body["resultTruncated"] == "true" and "$skipToken" not in body and body["count"] == 1000


def test_subscription_scope_filters_rows() -> None:
    body = execute(
        QueryRequest.from_body({"subscriptions": ["other"], "query": "Resources | project id"}), rows_of
    )
    assert body["totalRecords"] == 0 and body["data"] == []


def test_table_result_format() -> None:
    body = execute(request("Resources | project id, name | take 2", resultFormat="table"), rows_of)
    assert body["data"]["columns"] == [{"name": "id", "type": "string"}, {"name": "name", "type": "string"}]
    assert body["data"]["rows"][1][1] == "sa0001"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"query": ""},
        {"query": "Resources", "options": {"$top": 0}},
        {"query": "Resources", "options": {"$top": 1001}},
    ],
)
def test_bad_requests(body: dict[str, object]) -> None:
    with pytest.raises(InvalidRequestError):
        QueryRequest.from_body(body)


def test_foreign_skip_token_is_rejected() -> None:
    first = execute(request("Resources | project id", **{"$top": 1}), rows_of)
    with pytest.raises(InvalidRequestError):
        execute(request("Resources | project id, name", **{"$skipToken": first["$skipToken"]}), rows_of)


def test_quota_counts_down_resets_and_throttles_only_when_enforced() -> None:
    now = [100.0]
    quota = UserQuota(clock=lambda: now[0])
    headers = [quota.consume("alice", enforce=True) for _ in range(15)]
    assert headers[0] == {"x-ms-user-quota-remaining": "14", "x-ms-user-quota-resets-after": "00:00:05"}
    assert headers[-1]["x-ms-user-quota-remaining"] == "0"
    now[0] += 2.0
    with pytest.raises(QuotaExceededError) as info:
        quota.consume("alice", enforce=True)
    assert info.value.status == 429 and info.value.retry_after_seconds == 3
    assert info.value.body()["error"]["code"] == "RateLimiting"
    assert quota.consume("alice", enforce=False)["x-ms-user-quota-remaining"] == "0"
    assert quota.consume("bob", enforce=True)["x-ms-user-quota-remaining"] == "14"
    now[0] += 3.0
    assert quota.consume("alice", enforce=True)["x-ms-user-quota-remaining"] == "14"
