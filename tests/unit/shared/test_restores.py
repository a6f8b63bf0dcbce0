from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import InvalidRequestError
from shared.restore.bodies import (
    MAX_RANGES,
    container_range,
    parse_point_in_time,
    restore_as_files,
    validate_container_name,
    validate_ranges,
)


@pytest.mark.parametrize("name", ["abc", "a-b-c", "container1", "a" * 63, "0logs"])
def test_valid_container_names(name):
    assert validate_container_name(name) == name


@pytest.mark.parametrize(
    "name", ["ab", "a" * 64, "Container1", "a--b", "-abc", "abc-", "a_b", "a.b", "$root", ""]
)
def test_invalid_container_names(name):
    with pytest.raises(InvalidRequestError):
        validate_container_name(name)


def test_ranges_limits_and_order():
    ranges = [container_range(f"c{i:02d}x") for i in range(MAX_RANGES)]
    assert validate_ranges(ranges) == ranges
    with pytest.raises(InvalidRequestError, match="at most 10"):
        validate_ranges([*ranges, ("zzz", "zzz-0")])
    with pytest.raises(InvalidRequestError, match="must sort before"):
        validate_ranges([("container2", "container1")])
    with pytest.raises(InvalidRequestError, match="must sort before"):
        validate_ranges([("container1", "container1")])
    with pytest.raises(InvalidRequestError):
        validate_ranges([])
    with pytest.raises(InvalidRequestError):
        validate_ranges([("BadName", "zzz")])
    assert validate_ranges([("logs/2024/", "logs/2025/")]) == [("logs/2024/", "logs/2025/")]


def test_point_in_time():
    assert parse_point_in_time("2021-07-08T00:00:00Z") == "2021-07-08T00:00:00.0000000Z"
    assert parse_point_in_time("2021-07-08T02:00:00+02:00") == "2021-07-08T00:00:00.0000000Z"
    for bad in ["yesterday", "2021-07-08T00:00:00", "2999-01-01T00:00:00Z", ""]:
        with pytest.raises(InvalidRequestError):
            parse_point_in_time(bad)


@pytest.mark.parametrize(
    "url",
    [
        "http://acct.blob.core.windows.net/restore",
        "https://acct.blob.core.windows.net/restore?sv=1&sig=secret",
        "https://acct.blob.core.windows.net/a/b",
        "https://acct.blob.core.windows.net/Bad_Name",
    ],
)
def test_restore_as_files_rejects_bad_container_urls(url):
    with pytest.raises(InvalidRequestError):
        restore_as_files(
            source_datasource_id="/subscriptions/s/resourceGroups/r/providers/Microsoft.DBforPostgreSQL/servers/a/databases/d",
            recovery_point_id="rp1",
            restore_location="westeurope",
            container_url=url,
            file_prefix="x",
        )


_container = st.from_regex(r"[a-z0-9]([a-z0-9]|-(?=[a-z0-9])){2,20}", fullmatch=True)


@given(st.lists(st.tuples(_container, _container), min_size=1, max_size=12))
def test_ranges_property(pairs):
    """Accepted iff 1-10 ranges, each strictly increasing; never any other exception."""
    expected_ok = len(pairs) <= MAX_RANGES and all(a < b for a, b in pairs)
    try:
        validate_ranges(pairs)
    except InvalidRequestError:
        assert not expected_ok
    else:
        assert expected_ok
