from __future__ import annotations

import pytest

from local.host.errors import RouteTemplateError
from local.host.routing import compile_route


def test_literal_is_case_insensitive_and_trailing_slash_ok() -> None:
    route = compile_route("api", "Hello/World")
    assert route.match("/api/hello/world/") == {}
    assert route.match("/api/hello") is None


def test_int_and_optional_params() -> None:
    route = compile_route("api", "items/{id:int}/{name?}")
    assert route.match("/api/items/5") == {"id": "5"}
    assert route.match("/api/items/5/x") == {"id": "5", "name": "x"}
    assert route.match("/api/items/five") is None


def test_catch_all_default_and_guid() -> None:
    assert compile_route("api", "files/{*path}").match("/api/files/a/b") == {"path": "a/b"}
    assert compile_route("api", "v/{n=3}").match("/api/v") == {"n": "3"}
    guid = compile_route("api", "r/{id:guid}")
    assert guid.match("/api/r/0f8fad5b-d9cb-469f-a165-70867728950e") is not None
    assert guid.match("/api/r/123") is None


def test_empty_prefix_and_mixed_segment() -> None:
    assert compile_route("", "a/{x}.json").match("/a/report.json") == {"x": "report"}


def test_literal_routes_sort_first() -> None:
    specific = compile_route("api", "items/new")
    general = compile_route("api", "items/{id}")
    assert sorted([general, specific], key=lambda r: r.sort_key)[0] is specific


def test_bad_parameter_rejected() -> None:
    with pytest.raises(RouteTemplateError):
        compile_route("api", "items/{1bad}")
