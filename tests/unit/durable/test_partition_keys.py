"""Instance ids as Table service PartitionKeys: ``partition_key`` escapes what keys may not hold, reversibly,
and keeps prefixes (``list_summaries`` filters a prefix as a key range)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from local.durable.store import instance_id_of, partition_key

# what a PartitionKey may not hold: / \ # ? and the control characters U+0000-U+001F, U+007F-U+009F
FORBIDDEN = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")
# a "%" in a key is always the start of an escape
BARE_PERCENT = re.compile(r"%(?![0-9A-F]{2})")

SPECIAL_IDS = [
    "plain-id",
    "a/b/c",
    "back\\slash",
    "hash#tag",
    "what?now",
    "100%",
    "%2F",  # looks escaped already
    "%%%",
    "tab\there\nnewline\rcr\x00nul\x1f\x7f\x85\x9f",
    'it\'s "quoted"',
    "''",
    "ünïcødé-Ωμέγα-名前-🚀",
    "/\\#?%",
    "",
]
ids = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@pytest.mark.parametrize("instance_id", SPECIAL_IDS)
def test_special_ids_round_trip_and_their_keys_hold_no_forbidden_character(instance_id: str) -> None:
    key = partition_key(instance_id)
    assert instance_id_of(key) == instance_id
    assert not FORBIDDEN.search(key), key
    assert not BARE_PERCENT.search(key), key


def test_forbidden_characters_are_percent_escaped_as_utf8() -> None:
    assert partition_key("a/b") == "a%2Fb"
    assert partition_key("%") == "%25"
    assert partition_key("\x85") == "%C2%85"
    assert partition_key("x\\#?") == "x%5C%23%3F"
    assert partition_key("ü'é 名") == "ü'é 名"  # allowed characters stay as they are


def test_distinct_ids_have_distinct_keys() -> None:
    keys = {partition_key(i) for i in SPECIAL_IDS}
    assert len(keys) == len(SPECIAL_IDS)


@given(ids)
def test_any_id_round_trips_and_its_key_holds_no_forbidden_character(instance_id: str) -> None:
    key = partition_key(instance_id)
    assert instance_id_of(key) == instance_id
    assert not FORBIDDEN.search(key)
    assert not BARE_PERCENT.search(key)


@given(ids, st.integers(min_value=0, max_value=40))
def test_an_ids_prefix_escapes_to_a_prefix_of_its_key(instance_id: str, cut: int) -> None:
    assert partition_key(instance_id).startswith(partition_key(instance_id[:cut]))


@given(ids, ids)
def test_a_key_starts_with_a_prefixs_key_only_when_the_id_starts_with_the_prefix(
    instance_id: str, prefix: str
) -> None:
    assert partition_key(instance_id).startswith(partition_key(prefix)) == instance_id.startswith(prefix)
