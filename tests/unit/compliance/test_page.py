"""The page a person reads (``render_page``), over gaps documents the real ``ReportWriter`` makes.

The page is parsed back with the standard library's HTML parser (``parse``), so the tests assert on
elements, attributes and decoded text, as a browser would see them, not on substrings of the markup.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest

from shared.compliance.classify import ACTIONS, Classification, Entry
from shared.compliance.inventory import NOTES
from shared.compliance.page import COLOURS, CONTENT_SECURITY_POLICY, ORDER, SCRIPT, STYLE, render_page
from shared.compliance.report import ReportWriter, SweepInfo

C = Classification
SUB_A = "11111111-1111-1111-1111-111111111111"
SUB_B = "22222222-2222-2222-2222-222222222222"
SUB_C = "33333333-3333-3333-3333-333333333333"
NAMES = {SUB_A: "Contoso Production", SUB_B: "Contoso Data", SUB_C: "Sandbox"}

# --- a small DOM, from the standard library's parser -------------------------------------------------------

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        """Descendants (and self) by tag, class and attribute values (``data_kind`` means ``data-kind``)."""
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.classes())
            and all(n.attrs.get(k) == v for k, v in wanted.items())
        ]

    def by_id(self, ident: str) -> Node:
        found = self.all(id=ident)
        assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
        return found[0]

    def has_id(self, ident: str) -> bool:
        return bool(self.all(id=ident))


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    builder = _Builder()
    builder.feed(page)
    builder.close()
    return builder.root


def rows(root: Node) -> list[Node]:
    return root.all("tr", cls="gap-row")


def options(root: Node, name: str) -> list[str]:
    """The values of a filter's options, "All" (the empty value) excluded, in page order."""
    select = root.by_id(f"filter-{name}")
    values = [o.attrs.get("value") or "" for o in select.all("option")]
    assert values[0] == "", "the first option is All"
    return values[1:]


# --- documents, made by the real writer ---------------------------------------------------------------------


def arm_id(sub: str, name: str, kind: str = "blob", rg: str = "rg-app") -> str:
    provider = {
        "blob": "Microsoft.Storage/storageAccounts",
        "postgresql": "Microsoft.DBforPostgreSQL/servers",
        "postgresql_flexible": "Microsoft.DBforPostgreSQL/flexibleServers",
        "file_share": "Microsoft.Storage/storageAccounts/stfiles/fileServices/default/shares",
    }[kind]
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{provider}/{name}"


def vault_id(sub: str, vault: str = "vault-prod") -> str:
    group = f"/subscriptions/{sub}/resourceGroups/rg-backup"
    return f"{group}/providers/Microsoft.DataProtection/backupVaults/{vault}"


def policy_id(sub: str, vault: str = "vault-prod", policy: str = "daily") -> str:
    return f"{vault_id(sub, vault)}/backupPolicies/{policy}"


def entry(
    name: str,
    classification: Classification,
    sub: str = SUB_A,
    kind: str | None = "blob",
    reason: str | None = None,
    **fields: Any,
) -> Entry:
    resource_id = arm_id(sub, name, kind or "blob")
    return Entry(
        resource_id=resource_id,
        classification=classification,
        reason=reason or f"{classification.value} because of a test",
        resource_type="Microsoft.Storage/storageAccounts",
        kind=kind,
        name=fields.pop("display_name", name),
        subscription_id=sub,
        resource_group="rg-app",
        location="westeurope",
        recommended_action=fields.pop(
            "actions", [ACTIONS[classification]] if classification in ACTIONS else []
        ),
        **fields,
    )


def sweep(**fields: Any) -> SweepInfo:
    values: dict[str, Any] = {
        "id": "sweep-2024-05-01-a",
        "started_at": "2024-05-01T02:00:00Z",
        "finished_at": "2024-05-01T02:04:12Z",
        "trigger": "schedule",
        "subscriptions": [SUB_A, SUB_B, SUB_C],
        "management_groups": ["mg-prod"],
        "remediation": "dryRun",
        "notes": [{"source": n.source, "note": n.note} for n in NOTES],
    }
    return SweepInfo(**(values | fields))


def document(
    entries: Iterable[Entry], info: SweepInfo | None = None, names: dict[str, str] | None = None
) -> dict[str, Any]:
    writer = ReportWriter(info or sweep())
    writer.opening()
    writer.add(entries)
    return writer.gaps_document(NAMES if names is None else names)


def mixed_entries() -> list[Entry]:
    """Two subscriptions' worth of resources of every kind, gaps and not."""
    return [
        entry("stprod01", C.PROTECTED, vault_id=vault_id(SUB_A), policy_id=policy_id(SUB_A)),
        entry("stprod02", C.PROTECTED),
        entry(
            "stlogs",
            C.UNPROTECTED,
            rule="prod-blobs",
            expected_vault_id=vault_id(SUB_A),
            expected_policy_id=policy_id(SUB_A),
        ),
        entry("stnew", C.UNPROTECTED, sub=SUB_B),
        entry(
            "stbroken",
            C.UNHEALTHY,
            protection_state="ProtectionError",
            error={
                "code": "UserErrorMissingRole",
                "message": "the vault lacks a role",
                "recommendedAction": [],
            },
        ),
        entry(
            "pg-orders",
            C.DRIFT,
            sub=SUB_B,
            kind="postgresql_flexible",
            rule="pg",
            vault_id=vault_id(SUB_B, "vault-old"),
            policy_id=policy_id(SUB_B, "vault-old", "weekly"),
            expected_vault_id=vault_id(SUB_B, "vault-db"),
            expected_policy_id=policy_id(SUB_B, "vault-db", "daily-pg"),
        ),
        entry("pg-gone", C.ORPHANED, sub=SUB_B, kind="postgresql"),
        entry("stsandbox", C.EXCLUDED, sub=SUB_C),
        entry("stpremium", C.UNSUPPORTED),
    ]


# --- the page -----------------------------------------------------------------------------------------------


def test_the_page_is_one_html5_document_that_loads_nothing() -> None:
    page = render_page(document(mixed_entries()))
    root = parse(page)

    assert page.startswith("<!DOCTYPE html>\n")
    assert page.rstrip().endswith("</html>")
    assert root.by_id("sweep").tag == "header"
    assert not root.all("link"), "no <link> (no stylesheet, icon or font from anywhere)"
    assert not root.all("img") and not root.all("iframe") and not root.all("object")
    for node in root.iter():
        assert "src" not in node.attrs, f"<{node.tag} src=...>"
        href = node.attrs.get("href")
        assert href is None or href.startswith("#"), f"<{node.tag} href={href!r}>: only links within the page"
    assert not re.search(r"https?://", page), "no address of anything outside the page, even xmlns"
    assert "@import" not in page and "url(" not in page
    assert len(root.all("style")) == 1 and len(root.all("script")) == 1
    assert all("src" not in s.attrs for s in root.all("script"))


def test_the_content_security_policy_allows_exactly_the_inline_style_and_script() -> None:
    root = parse(render_page(document(mixed_entries())))
    (meta,) = [m for m in root.all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    policy = meta.attrs["content"] or ""
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert policy == CONTENT_SECURITY_POLICY
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == digest(root.all("script")[0].text()) == digest(SCRIPT)
    assert directives["style-src"] == digest(root.all("style")[0].text()) == digest(STYLE)
    assert "unsafe-inline" not in policy
    assert all("style" not in n.attrs for n in root.iter()), "no style attribute (the policy would block it)"


def test_untrusted_text_is_rendered_as_text_and_never_as_markup() -> None:
    hostile_reason = 'not protected <script>alert("reason")</script> & more'
    hostile_message = "<img src=x onerror=alert(1)> failed"
    hostile_name = '"><script>alert("name")</script>'
    info = sweep(
        id='sweep"><script>alert(1)</script>',
        notes=[{"source": "<b>ARM</b>", "note": "<script>alert('note')</script>"}],
    )
    doc = document(
        [
            entry("stevil", C.UNPROTECTED, reason=hostile_reason, display_name=hostile_name),
            entry(
                "stfail",
                C.UNHEALTHY,
                error={"code": "<i>Code</i>", "message": hostile_message, "recommendedAction": ["<u>do</u>"]},
                actions=["<u>do</u>"],
            ),
        ],
        info=info,
        names={SUB_A: "<script>alert('sub')</script>"},
    )
    page = render_page(doc)
    root = parse(page)

    assert len(root.all("script")) == 1, "the page's own script only"
    assert not root.all("img"), "the error message's <img> is text"
    assert not root.by_id("notes").all("b"), "the note's source <b> is text"
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;reason&quot;)&lt;/script&gt;" in page
    evil = root.all("tr", cls="gap-row", data_classification="unprotected")[0]
    cells = evil.all("td")
    assert cells[2].text() == hostile_reason, "the reason reads back exactly as the document has it"
    assert cells[0].all("b")[0].text() == hostile_name
    assert cells[4].text() == "<script>alert('sub')</script>"
    failing = root.all("tr", cls="gap-row", data_classification="unhealthy")[0]
    assert hostile_message in failing.text() and "<i>Code</i>" in failing.text()
    assert not failing.all("u") and not failing.all("i")
    assert root.by_id("sweep").attrs["data-sweep-id"] == 'sweep"><script>alert(1)</script>'
    assert root.by_id("notes").all("li")[0].text() == "<b>ARM</b>: <script>alert('note')</script>"
    assert "<script>alert('sub')</script> (2)" in root.by_id("filter-subscription").text()


def test_every_gap_is_one_row_and_nothing_else_is() -> None:
    entries = mixed_entries()
    doc = document(entries)
    root = parse(render_page(doc))

    found = {r.attrs["data-resource-id"] or "": r for r in rows(root)}
    gaps = {e.resource_id: e for e in entries if e.gap}
    assert len(rows(root)) == len(gaps) == len(doc["gaps"]) == 5
    assert set(found) == set(gaps)
    for resource_id, row in found.items():
        gap = gaps[resource_id]
        assert row.attrs["data-classification"] == gap.classification.value
        assert row.attrs["data-subscription"] == gap.subscription_id
        assert row.attrs["data-kind"] == gap.kind
        assert gap.name in row.text() and resource_id in row.text() and gap.reason in row.text()
        assert NAMES[gap.subscription_id] in row.text()
        for action in gap.recommended_action:
            assert action in row.text()
        assert "hidden" not in row.attrs
    assert not any(e.resource_id in found for e in entries if not e.gap)


def test_rows_come_most_urgent_first() -> None:
    root = parse(render_page(document(reversed(mixed_entries()))))
    seen = [r.attrs["data-classification"] for r in rows(root)]
    assert seen == sorted(seen, key=ORDER.index)
    assert seen[0] == "unprotected" and seen[-1] == "orphaned"


def test_the_totals_are_the_summarys() -> None:
    doc = document(mixed_entries())
    totals = parse(render_page(doc)).by_id("totals")

    assert totals.by_id("total-resources").attrs["data-count"] == "9" == str(doc["summary"]["total"])
    assert totals.by_id("total-gaps").attrs["data-count"] == "5" == str(doc["summary"]["gaps"])
    assert totals.by_id("total-resources").text() == "9resources in scope"
    assert totals.by_id("total-gaps").text() == "5gaps (56% of resources)"
    counts = {li.attrs["data-classification"]: li for li in totals.all("li", cls="count")}
    assert list(counts) == list(ORDER), "every classification, in the page's order"
    for classification, n in doc["summary"]["byClassification"].items():
        assert counts[classification].attrs["data-count"] == str(n)
        assert counts[classification].all("b")[0].text() == str(n)
        assert ("zero" in counts[classification].classes()) == (n == 0)
    assert counts["unprotected"].attrs["data-count"] == "2"
    assert counts["unprotected"].all("a")[0].attrs["href"] == "#classification=unprotected"
    assert not counts["protected"].all("a"), "only a gap links to its filtered view"


def test_the_filters_list_exactly_what_the_gaps_have() -> None:
    root = parse(render_page(document(mixed_entries())))

    assert options(root, "classification") == ["unprotected", "unhealthy", "drift", "orphaned"]
    assert set(options(root, "subscription")) == {SUB_A, SUB_B}, "Sandbox has no gap"
    assert options(root, "subscription") == [SUB_B, SUB_A], (
        "by display name: Contoso Data, Contoso Production"
    )
    assert set(options(root, "kind")) == {"blob", "postgresql", "postgresql_flexible"}
    labels = [o.text() for o in root.by_id("filter-subscription").all("option")]
    assert labels == ["All", "Contoso Data (3)", "Contoso Production (2)"]
    counter = root.by_id("gap-counter")
    assert counter.text() == "5 of 5 gaps shown"
    assert counter.attrs["data-shown"] == counter.attrs["data-total"] == "5"
    assert "hidden" in root.by_id("no-match").attrs
    assert root.by_id("filter-reset").tag == "button"


def test_a_gap_without_kind_or_subscription_is_filtered_as_dash() -> None:
    doc = document([entry("x", C.ORPHANED, kind=None), entry("y", C.UNPROTECTED)])
    doc["gaps"][0]["subscriptionId"] = ""
    root = parse(render_page(doc))
    orphan = root.all("tr", cls="gap-row", data_classification="orphaned")[0]
    assert orphan.attrs["data-kind"] == "-" and orphan.attrs["data-subscription"] == "-"
    assert "-" in options(root, "kind") and "-" in options(root, "subscription")
    assert "(no subscription)" in orphan.text()


def test_drift_shows_the_vault_and_policy_held_and_the_ones_expected() -> None:
    root = parse(render_page(document(mixed_entries())))
    drift = root.all("tr", cls="gap-row", data_classification="drift")[0]
    vault_cell = drift.all("td")[6]
    text = vault_cell.text()
    assert "vault vault-old" in text and "policy weekly" in text
    assert "expected vault vault-db" in text and "expected policy daily-pg" in text and "rule pg" in text
    titles = {s.attrs.get("title") for s in vault_cell.all("span")}
    assert vault_id(SUB_B, "vault-db") in titles and policy_id(SUB_B, "vault-old", "weekly") in titles
    unprotected = root.all("tr", cls="gap-row", data_resource_id=arm_id(SUB_A, "stlogs"))[0]
    assert "expected vault vault-prod" in unprotected.all("td")[6].text(), "where protection would put it"
    broken = root.all("tr", cls="gap-row", data_classification="unhealthy")[0]
    assert broken.all("td", cls="err")[0].text() == "UserErrorMissingRolethe vault lacks a role"
    assert "state ProtectionError" in broken.all("td")[1].text()


def test_arm_ids_in_a_reason_are_shortened_and_kept_whole_as_a_tooltip() -> None:
    held = policy_id(SUB_B, "vault-old", "weekly")
    reason = f"protected by {held} in {vault_id(SUB_B, 'vault-old')}."
    root = parse(render_page(document([entry("pg", C.DRIFT, reason=reason)])))
    cell = rows(root)[0].all("td")[2]
    short = "\u2026/backupVaults/vault-old"
    assert cell.text() == f"protected by {short}/backupPolicies/weekly in {short}."
    assert [s.attrs["title"] for s in cell.all("span", cls="arm-id")] == [held, vault_id(SUB_B, "vault-old")]


def test_the_charts_have_a_labelled_bar_per_subscription_and_per_kind() -> None:
    doc = document(mixed_entries())
    root = parse(render_page(doc))

    chart = root.by_id("chart-subscriptions")
    assert chart.tag == "svg" and chart.attrs["role"] == "img"
    assert chart.attrs["aria-labelledby"] == "chart-subscriptions-title chart-subscriptions-desc"
    assert chart.by_id("chart-subscriptions-title").tag == "title"
    order = [g.attrs["data-subscription"] for g in chart.all("g", cls="bar")]
    assert order == [SUB_B, SUB_A, SUB_C], "the most gaps first (3, 2, 0)"
    bars = {g.attrs["data-subscription"]: g for g in chart.all("g", cls="bar")}
    assert set(bars) == {SUB_A, SUB_B, SUB_C}
    assert bars[SUB_A].attrs["data-total"] == "5" and bars[SUB_A].attrs["data-gaps"] == "2"
    assert bars[SUB_B].attrs["data-total"] == "3" and bars[SUB_B].attrs["data-gaps"] == "3"
    assert bars[SUB_A].all("text")[0].text() == "Contoso Production"
    assert bars[SUB_A].all("text")[-1].text() == "2 gaps / 5"
    assert bars[SUB_C].all("text")[-1].text() == "0 gaps / 1"
    assert bars[SUB_A].attrs["aria-label"] == (
        "Contoso Production: 5 resources, 2 gaps (protected 2, unprotected 1, unhealthy 1, unsupported 1)"
    )
    assert bars[SUB_A].all("a")[0].attrs["href"] == f"#subscription={SUB_A}", "a row with gaps links to them"
    assert not bars[SUB_C].all("a"), "a row without gaps links nowhere"
    kinds = {g.attrs["data-kind"]: g for g in root.by_id("chart-kinds").all("g", cls="bar")}
    assert set(kinds) == {"blob", "postgresql", "postgresql_flexible"}
    assert kinds["blob"].attrs["data-total"] == "7"
    assert kinds["blob"].all("text")[-1].text() == "3 gaps / 7"
    # Segments are as wide as their share and coloured as everywhere else.
    segments = [r for r in bars[SUB_A].all("rect") if r.all("title")]
    assert [r.attrs["fill"] for r in segments] == [
        COLOURS[c][0] for c in ("protected", "unprotected", "unhealthy", "unsupported")
    ]
    assert sum(float(r.attrs["width"] or 0) for r in segments) == pytest.approx(290, abs=0.05)
    assert float(segments[0].attrs["width"] or 0) == pytest.approx(290 * 2 / 5, abs=0.01)
    assert len(root.all("svg")) == 3, "overall, per subscription, per kind: no SVG per row"


def test_each_classification_has_one_colour_everywhere() -> None:
    page = render_page(document(mixed_entries()))
    root = parse(page)
    for classification, (fill, _text) in COLOURS.items():
        assert f".c-{classification}{{--c:{fill};" in page
        for rect in root.all("rect"):
            title = rect.all("title")
            if title and f": {classification.replace('_', ' ')} " in title[0].text():
                assert rect.attrs["fill"] == fill
    badge = rows(root)[0].all("span", cls="badge")[0]
    assert "c-unprotected" in badge.classes()

    def rgb(colour: str) -> tuple[int, int, int]:
        return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)

    red, green, blue = rgb(COLOURS["protected"][0])
    assert green > red and green > blue, "healthy is green"
    for classification in ("excluded", "unsupported"):
        channels = rgb(COLOURS[classification][0])
        assert max(channels) - min(channels) < 40, f"{classification} is grey"
    for classification in set(ORDER) - {"protected", "excluded", "unsupported"}:
        red, green, blue = rgb(COLOURS[classification][0])
        assert red > blue and red >= green, f"{classification} is warm"
    assert len({fill for fill, _ in COLOURS.values()}) == len(COLOURS), "no two classifications alike"


def test_the_header_says_what_the_sweep_was() -> None:
    root = parse(render_page(document(mixed_entries())))
    header = root.by_id("sweep")

    assert header.attrs["data-sweep-id"] == "sweep-2024-05-01-a" and "sweep-2024-05-01-a" in header.text()
    assert header.by_id("sweep-trigger").text() == "schedule"
    assert header.by_id("sweep-started").text() == "2024-05-01 02:00:00 UTC"
    assert header.by_id("sweep-started").all("time")[0].attrs["datetime"] == "2024-05-01T02:00:00Z"
    assert header.by_id("sweep-finished").text() == "2024-05-01 02:04:12 UTCtook 4 min 12 s"
    assert header.by_id("sweep-remediation").attrs["data-mode"] == "dryRun"
    assert header.by_id("sweep-remediation").text().startswith("dry run (")
    subscriptions = header.by_id("scope-subscriptions")
    assert subscriptions.text() == "Contoso Production, Contoso Data, Sandbox"
    assert [s.attrs["title"] for s in subscriptions.all("span")] == [SUB_A, SUB_B, SUB_C]
    assert header.by_id("scope-management-groups").text() == "mg-prod"
    notes = header.by_id("notes").all("li")
    assert [n.attrs["data-source"] for n in notes] == [n.source for n in NOTES]
    assert notes[1].text() == f"ARM: {NOTES[1].note}"


def test_a_sweep_still_running_with_a_wide_scope_and_no_notes() -> None:
    many = [f"{i:08d}-0000-0000-0000-000000000000" for i in range(7)]
    info = sweep(finished_at=None, subscriptions=many, management_groups=[], notes=[], remediation="on")
    header = parse(render_page(document([entry("a", C.UNPROTECTED)], info=info))).by_id("sweep")

    assert header.by_id("sweep-finished").text() == "not finished"
    assert header.by_id("scope-subscriptions").all("summary")[0].text() == "7 subscriptions"
    assert len(header.by_id("scope-subscriptions").all("li")) == 7
    assert header.by_id("scope-management-groups").text() == "none named"
    assert header.by_id("notes").text() == "none"
    assert header.by_id("sweep-remediation").text().startswith("on (")


def test_subscriptions_without_a_display_name_fold_when_they_would_not_fit_a_line() -> None:
    unnamed = [f"{i:08d}-0000-0000-0000-000000000000" for i in range(3)]
    header = parse(render_page(document([entry("a", C.UNPROTECTED)], info=sweep(subscriptions=unnamed))))
    scope = header.by_id("scope-subscriptions")
    assert scope.attrs["data-count"] == "3"
    assert scope.all("summary")[0].text() == "3 subscriptions"
    assert [li.text() for li in scope.all("li")] == unnamed, "the ids, as the document has no names for them"
    named = parse(render_page(document([entry("a", C.UNPROTECTED)], info=sweep(subscriptions=[SUB_A]))))
    assert named.by_id("scope-subscriptions").text() == "Contoso Production"
    assert not named.by_id("scope-subscriptions").all("details")


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            [entry("a", C.PROTECTED), entry("b", C.EXCLUDED), entry("c", C.UNSUPPORTED)],
            "No gaps: all 3 resources in scope are protected, excluded or unsupported.",
        ),
        ([], "No gaps: the sweep found no resources in scope."),
    ],
    ids=["nothing-to-do", "nothing-in-scope"],
)
def test_no_gaps_is_said_plainly(entries: Sequence[Entry], message: str) -> None:
    root = parse(render_page(document(entries)))

    assert root.by_id("no-gaps").text() == message
    assert not root.has_id("gaps-table") and not root.has_id("filter-classification")
    assert not root.has_id("gap-counter")
    assert root.by_id("total-gaps").attrs["data-count"] == "0"
    assert "none" in root.by_id("total-gaps").classes()
    assert root.all("title")[0].text().startswith("Backup compliance: 0 gaps")
    if not entries:
        assert root.by_id("chart-subscriptions").text() == "No resources in scope."


def test_the_page_reads_the_stored_document_and_leaves_it_alone() -> None:
    doc = document(mixed_entries())
    before = copy.deepcopy(doc)
    page = render_page(doc)

    assert doc == before
    assert render_page(json.loads(json.dumps(doc))) == page, "gaps.json as stored renders the same"
    assert render_page(doc) == page, "pure: the same document, the same page"


def test_a_classification_the_page_does_not_know_still_shows() -> None:
    doc = document([entry("a", C.UNPROTECTED)])
    doc["gaps"][0]["classification"] = "quarantined"
    doc["summary"]["byClassification"]["quarantined"] = 1
    root = parse(render_page(doc))
    assert rows(root)[0].all("span", cls="badge")[0].classes() == {"badge", "c-other"}
    assert options(root, "classification") == ["quarantined"]
    assert root.by_id("totals").all("li", data_classification="quarantined")[0].attrs["data-count"] == "1"


def five_thousand_gaps() -> dict[str, Any]:
    """A report of 5,000 gaps across three subscriptions (also what ``tests.bench.page_render`` times)."""
    subs = [SUB_A, SUB_B, SUB_C]
    gap_kinds = [C.UNPROTECTED, C.UNHEALTHY, C.DRIFT, C.STOPPED, C.ORPHANED]
    entries = [
        entry(
            f"st{i:05d}",
            gap_kinds[i % len(gap_kinds)],
            sub=subs[i % 3],
            reason=f"reason {i} with <markup> & {vault_id(subs[i % 3])}",
            error={"code": "E", "message": "m" * 80, "recommendedAction": []},
        )
        for i in range(5000)
    ]
    return document(entries)


def test_five_thousand_gaps_render_every_row_and_the_three_charts() -> None:
    page = render_page(five_thousand_gaps())  # how fast: python -m tests.bench page_render

    assert page.count('<tr class="gap-row"') == 5000
    assert page.count("<svg") == 3
    assert ">5,000 of 5,000 gaps shown<" in page
