"""Resource Graph answers have the shape of the official 2024-04-01 examples (incl. $skipToken paging)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.cloud.resourcegraph.service import QueryRequest, execute
from tests.paths import AZURE_SPECS

pytestmark = pytest.mark.corpus

EXAMPLES = AZURE_SPECS / "resourcegraph" / "examples"


def load(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


def test_basic_query_reproduces_the_example_body() -> None:
    example = load("ResourcesBasicQuery.json")
    expected = example["responses"]["200"]["body"]
    sub = example["parameters"]["query"]["subscriptions"][0]
    rows = [{**r, "subscriptionId": sub, "properties": {}} for r in expected["data"]]
    rows.append({**rows[0], "id": rows[0]["id"] + "x", "subscriptionId": "someone-else"})
    body = execute(QueryRequest.from_body(example["parameters"]["query"]), lambda table: rows)
    assert body == expected
    assert list(body) == list(expected)  # same key order as the service


def test_first_and_next_page_follow_the_examples() -> None:
    first = load("ResourcesFirstPageQuery.json")
    nxt = load("ResourcesNextPageQuery.json")
    sub = first["parameters"]["query"]["subscriptions"][0]
    page1 = first["responses"]["200"]["body"]["data"]
    page2 = nxt["responses"]["200"]["body"]["data"]
    filler = [
        {"id": f"/subscriptions/{sub}/x/test{i}", "name": f"test{i}", "type": "t", "location": "eastus"}
        for i in range(386 - 5)
    ]
    # The sample's second page starts with "second_OsDisk_...", whose name lacks 'test': the example is
    # hand-written. The emulator skips it, so page two is the sample's other two rows plus the next match.
    rows = [{**r, "subscriptionId": sub} for r in [*page1, *page2, *filler]]
    rows.append({"id": "/no-match", "name": "nomatch", "type": "t", "location": "x", "subscriptionId": sub})
    body1 = execute(QueryRequest.from_body(first["parameters"]["query"]), lambda table: rows)
    expected1 = first["responses"]["200"]["body"]
    assert set(body1) == set(expected1)
    assert {k: body1[k] for k in ("totalRecords", "count", "resultTruncated", "facets", "data")} == {
        k: expected1[k] for k in ("totalRecords", "count", "resultTruncated", "facets", "data")
    }
    query2 = {**nxt["parameters"]["query"], "options": {"$skipToken": body1["$skipToken"]}}
    body2 = execute(QueryRequest.from_body(query2), lambda table: rows)
    expected2 = nxt["responses"]["200"]["body"]
    assert set(body2) == set(expected2)
    assert body2["data"][:2] == expected2["data"][1:] and body2["count"] == 3 and body2["totalRecords"] == 386
    assert body2["resultTruncated"] == "false" and isinstance(body2["$skipToken"], str)
