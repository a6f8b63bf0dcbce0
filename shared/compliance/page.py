"""The page a person reads: one self-contained HTML5 file made from a sweep's gaps document. Pure.

``render_page(gaps_document)`` takes ``gaps.json`` as :meth:`shared.compliance.report.ReportWriter.
gaps_document` makes it (``{schemaVersion, sweep, summary, gaps}``) and returns the page: the sweep (id,
trigger, times, scope, remediation mode, how each part of the inventory was made), the totals, a stacked bar
chart per subscription and per kind (inline SVG), and a table of every gap that three ``<select>`` filters
(classification, subscription, kind) narrow down.

The page loads nothing: CSS, SVG and the script are inline, and its Content-Security-Policy allows exactly
that style and that script (by hash) and nothing else, so it works offline and a value that slipped past
escaping could still not run. Every value from the document is escaped (resource names and ARM error
messages are untrusted text).

What a test (or a person) can rely on:

- ``#sweep`` (``data-sweep-id``), ``#sweep-trigger``, ``#sweep-started``, ``#sweep-finished``,
  ``#sweep-remediation`` (``data-mode``), ``#scope-subscriptions``, ``#scope-management-groups``, ``#notes``
  (one ``li[data-source]`` per note);
- ``#totals``: ``#total-resources`` and ``#total-gaps`` (``data-count``), one ``li.count`` per
  classification (``data-classification``, ``data-count``), the overall bar ``#chart-overall``;
- ``#chart-subscriptions`` and ``#chart-kinds`` (SVG, one ``g.bar`` per row, the most gaps first, with
  ``data-subscription`` or ``data-kind``, ``data-total`` and ``data-gaps``);
- ``#filter-classification``, ``#filter-subscription``, ``#filter-kind`` (the option values are the ones the
  rows carry), ``#filter-reset``, the counter ``#gap-counter`` ("N of M gaps shown", ``data-shown``,
  ``data-total``), ``#no-match`` (shown when no row matches); each select's ``data-value`` is its value;
- ``#gaps-table``, its body ``#gap-rows``, one ``tr.gap-row`` per gap with ``data-classification``,
  ``data-subscription`` (the subscription id, ``-`` when none), ``data-kind`` (``-`` when none) and
  ``data-resource-id``; a row the filters hide has the ``hidden`` attribute;
- ``#no-gaps`` instead of the filters and the table when the document has no gap;
- ``<html data-filters="ready">`` once the script has run.

The rows are ordered by classification (as :data:`ORDER`: the most urgent gaps first), then subscription
name, then resource id.

The location hash preselects the filters, so a link can point at a filtered view:
``page.html#classification=unprotected&subscription=<id>&kind=blob`` (URL-encoded, any subset, values
compared case-insensitively, a value no row has is ignored). Changing a filter rewrites the hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from shared.compliance.classify import NOT_GAPS, Classification

# The order classifications are shown in everywhere (legend, bars, filter, table): healthy first, then the
# gaps from the most to the least urgent, then what is deliberately out of scope.
ORDER: tuple[str, ...] = (
    Classification.PROTECTED.value,
    Classification.UNPROTECTED.value,
    Classification.UNHEALTHY.value,
    Classification.DRIFT.value,
    Classification.ORPHANED.value,
    Classification.STOPPED.value,
    Classification.SUSPENDED.value,
    Classification.SOFT_DELETED.value,
    Classification.CONFIGURING.value,
    Classification.EXCLUDED.value,
    Classification.UNSUPPORTED.value,
)
# (fill, text on it): healthy is green, gaps are warm, out of scope is grey.
COLOURS: dict[str, tuple[str, str]] = {
    Classification.PROTECTED.value: ("#15803d", "#ffffff"),
    Classification.UNPROTECTED.value: ("#b91c1c", "#ffffff"),
    Classification.UNHEALTHY.value: ("#ef4444", "#ffffff"),
    Classification.DRIFT.value: ("#ea580c", "#ffffff"),
    Classification.ORPHANED.value: ("#7c2d12", "#ffffff"),
    Classification.STOPPED.value: ("#db2777", "#ffffff"),
    Classification.SUSPENDED.value: ("#f59e0b", "#1f2937"),
    Classification.SOFT_DELETED.value: ("#d4a373", "#1f2937"),
    Classification.CONFIGURING.value: ("#facc15", "#1f2937"),
    Classification.EXCLUDED.value: ("#9ca3af", "#1f2937"),
    Classification.UNSUPPORTED.value: ("#6b7280", "#ffffff"),
}
OTHER_COLOUR = ("#7c3aed", "#ffffff")  # a classification this page does not know (a newer document)
MEANINGS: dict[str, str] = {
    Classification.PROTECTED.value: "protection configured, the last backup neither failed nor overdue",
    Classification.UNPROTECTED.value: "a rule covers it and nothing protects it",
    Classification.UNHEALTHY.value: "a protection error, or a failed or overdue last backup",
    Classification.DRIFT.value: "protected in another vault or policy than the covering rule names",
    Classification.ORPHANED.value: "a backup instance whose resource is gone",
    Classification.STOPPED.value: "the backup instance's protection is stopped",
    Classification.SUSPENDED.value: "the backup instance's schedules are suspended",
    Classification.SOFT_DELETED.value: "the backup instance is soft-deleted",
    Classification.CONFIGURING.value: "protection is being configured",
    Classification.EXCLUDED.value: "out of scope: by tag, resource group or no covering rule",
    Classification.UNSUPPORTED.value: "cannot be backed up this way",
}
KIND_LABELS: dict[str, str] = {
    "blob": "Blob",
    "postgresql": "PostgreSQL single",
    "postgresql_flexible": "PostgreSQL flexible",
    "file_share": "File share",
    "-": "(no kind)",
}
REMEDIATION: dict[str, tuple[str, str]] = {
    "off": ("off", "gaps are reported, nothing is changed"),
    "dryRun": ("dry run", "the sweep says what it would protect and protects nothing"),
    "on": ("on", "unprotected resources are sent through the protection pipeline"),
}
_GAP_FREE = frozenset(c.value for c in NOT_GAPS)  # what a chart row or a total does not count as a gap
NONE = "-"  # the subscription or kind of an entry that has none (as the summary keys it)
_INLINE_LIST = (4, 72)  # up to this many subscriptions or groups (and characters) inline, more in a <details>
_ARM_ID = re.compile(r"/subscriptions/[^\s,;:()<>\"']+", re.IGNORECASE)
_LABEL_CHARS = 26  # chart labels longer than this are cut (the full text is in the row's <title>)

_CSS = """
:root{color-scheme:light;--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--soft:#f3f4f6;--accent:#1d4ed8}
*{box-sizing:border-box}
html{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
  color:var(--ink)}
body{margin:0;background:#fafafa}
main{max-width:1400px;margin:0 auto;padding:12px 24px 40px}
h1{font-size:20px;margin:0}
h2{font-size:15px;margin:0 0 8px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
a{color:var(--accent)}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:0 0 12px}
header.card{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:4px 28px}
.titleline{grid-column:1/-1;display:flex;align-items:baseline;gap:12px;flex-wrap:wrap}
.titleline .sweep-id{color:var(--muted)}
dl.meta{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:6px 18px;margin:6px 0 0}
dl.meta div{min-width:0}
dl.meta dt,.notes-title{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
dl.meta dd{margin:0;overflow-wrap:anywhere}
dl.meta details summary{cursor:pointer}
.notes-title{margin-top:6px}
.notes{margin:2px 0 0;padding:0;list-style:none;font-size:12.5px;color:#374151}
.notes li{margin:0 0 3px;padding-left:10px;border-left:3px solid var(--line)}
.notes strong{font-weight:600}
#totals{display:grid;grid-template-columns:auto auto minmax(0,1fr);gap:10px 20px;align-items:start}
.tile .n{font-size:28px;font-weight:700;line-height:1.1}
.tile .l{color:var(--muted);font-size:12px}
#total-gaps .n{color:#b91c1c}
#total-gaps.none .n{color:#15803d}
ul.counts{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:6px}
li.count{flex:1 0 auto;display:flex;align-items:center;gap:6px;padding:3px 8px;border-radius:6px;
  background:var(--soft);min-width:118px}
li.count.zero{opacity:.45}
li.count a,li.count span.l{color:inherit;text-decoration:none;white-space:nowrap}
li.count a:hover{text-decoration:underline}
li.count b{margin-left:auto;padding-left:8px;font-variant-numeric:tabular-nums}
.sw{display:inline-block;width:11px;height:11px;border-radius:3px;background:var(--c);flex:none}
.overall{grid-column:1/-1}
svg{display:block}
svg text{font-size:12px;fill:#1f2937}
svg text.n{fill:#4b5563;font-variant-numeric:tabular-nums}
svg a text{fill:var(--accent)}
#charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:12px}
#charts .card{margin:0}
.chart-box{max-height:330px;overflow-y:auto}
.empty{color:var(--muted);margin:0}
#gaps{margin-top:12px}
.filters{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;margin:0 0 10px}
.filters label{font-size:12px;color:var(--muted);display:flex;gap:6px;align-items:center}
.filters select,.filters button{font:inherit;padding:3px 8px;border:1px solid #d1d5db;border-radius:6px;
  background:#fff;color:var(--ink)}
.filters select{max-width:260px}
.filters button{cursor:pointer}
#gap-counter{margin-left:auto;font-weight:600}
table{width:100%;border-collapse:collapse;table-layout:fixed;font-size:12.5px}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
td{overflow-wrap:anywhere}
thead th{position:sticky;top:0;background:#f9fafb;font-size:12px;color:#4b5563;z-index:1;
  border-bottom:2px solid var(--line)}
tbody tr:nth-child(even){background:#fcfcfd}
.w-res{width:22%}.w-cls{width:9%}.w-reason{width:18%}.w-act{width:15%}.w-sub{width:9%}
.w-kind{width:8%}.w-vault{width:9%}.w-err{width:10%}
.res b{display:block}
.res code{display:block;color:var(--muted);font-size:10.5px;line-height:1.35}
.sub{color:var(--muted);font-size:11.5px}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;background:var(--c);color:var(--fg);
  font-size:11.5px;font-weight:600;white-space:nowrap}
ul.actions{margin:0;padding-left:16px}
.err code{font-weight:600}
.arm-id{border-bottom:1px dotted #9ca3af}
#no-gaps{font-size:15px;margin:0}
#no-match td{color:var(--muted);text-align:center;padding:16px}
@media (max-width:900px){
  header.card,#charts,#totals{grid-template-columns:1fr}
}
@media print{
  .filters{display:none}
  tr[hidden]{display:table-row}
  .chart-box{max-height:none}
  body{background:#fff}
}
"""

_SCRIPT = """
(function () {
  "use strict";
  var body = document.getElementById("gap-rows");
  if (!body) { document.documentElement.setAttribute("data-filters", "ready"); return; }
  var names = ["classification", "subscription", "kind"];
  var selects = {};
  names.forEach(function (name) { selects[name] = document.getElementById("filter-" + name); });
  var counter = document.getElementById("gap-counter");
  var noMatch = document.getElementById("no-match");
  var rows = Array.prototype.filter.call(body.rows, function (row) { return row.id !== "no-match"; });

  function apply() {
    var want = names.map(function (name) {
      selects[name].setAttribute("data-value", selects[name].value);
      return selects[name].value;
    });
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var match = true;
      for (var j = 0; j < names.length; j++) {
        if (want[j] && row.getAttribute("data-" + names[j]) !== want[j]) { match = false; break; }
      }
      row.hidden = !match;
      if (match) { shown++; }
    }
    counter.textContent = shown.toLocaleString("en-US") + " of " + rows.length.toLocaleString("en-US") +
      (rows.length === 1 ? " gap" : " gaps") + " shown";
    counter.setAttribute("data-shown", String(shown));
    noMatch.hidden = shown !== 0;
  }

  function optionFor(select, value) {
    var lower = value.toLowerCase();
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value.toLowerCase() === lower) { return select.options[i].value; }
    }
    return "";
  }

  function fromHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    names.forEach(function (name) {
      selects[name].value = optionFor(selects[name], params.get(name) || "");
    });
    apply();
  }

  function toHash() {
    var params = new URLSearchParams();
    names.forEach(function (name) { if (selects[name].value) { params.set(name, selects[name].value); } });
    var hash = params.toString();
    var url = hash ? "#" + hash : location.pathname + location.search;
    try { history.replaceState(null, "", url); } catch (e) { location.hash = hash; }
    apply();
  }

  names.forEach(function (name) { selects[name].addEventListener("change", toHash); });
  document.getElementById("filter-reset").addEventListener("click", function () {
    names.forEach(function (name) { selects[name].value = ""; });
    toHash();
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
  document.documentElement.setAttribute("data-filters", "ready");
})();
"""


def _classes_css() -> str:
    rules = [f".c-{name}{{--c:{fill};--fg:{text}}}" for name, (fill, text) in COLOURS.items()]
    rules.append(f".c-other{{--c:{OTHER_COLOUR[0]};--fg:{OTHER_COLOUR[1]}}}")
    return "\n".join(rules) + "\n"


STYLE = _CSS + _classes_css()
SCRIPT = _SCRIPT


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {_csp_hash(STYLE)}; script-src {_csp_hash(SCRIPT)}; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)


def _e(value: Any) -> str:
    """Text (or an attribute value) from the document, escaped; ``None`` is empty."""
    return "" if value is None else escape(str(value), quote=True)


def _text(value: Any) -> str:
    """Free text from the document (a reason, an ARM error message), escaped, with every ARM id in it shown
    from its provider's type on (``backupVaults/v1/backupPolicies/p1``) and whole as a tooltip."""
    text = "" if value is None else str(value)
    out = []
    last = 0
    for match in _ARM_ID.finditer(text):
        whole = match.group(0).rstrip(".")  # a sentence's full stop is not part of the id
        parts = whole.strip("/").split("/")
        lowered = [p.lower() for p in parts]
        providers = len(lowered) - 1 - lowered[::-1].index("providers") if "providers" in lowered else -1
        if providers < 0 or len(parts) <= providers + 2:
            continue  # no resource type to show from: left as it is
        short = "/".join(parts[providers + 2 :])
        out.append(escape(text[last : match.start()], quote=True))
        out.append(f'<span class="arm-id" title="{escape(whole, quote=True)}">\u2026/{escape(short)}</span>')
        last = match.start() + len(whole)
    out.append(escape(text[last:], quote=True))
    return "".join(out)


def _num(value: int) -> str:
    return f"{value:,}"


def _css_class(classification: str) -> str:
    return "c-" + classification if classification in COLOURS else "c-other"


def _fill(classification: str) -> str:
    return COLOURS.get(classification, OTHER_COLOUR)[0]


def _label(classification: str) -> str:
    return classification.replace("_", " ")


def _kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def _ordered(classifications: Iterable[str]) -> list[str]:
    """Known classifications in :data:`ORDER`, then any others by name."""
    present = set(classifications)
    return [c for c in ORDER if c in present] + sorted(present - set(ORDER))


def _last_segment(resource_id: Any) -> str:
    return str(resource_id or "").rstrip("/").rsplit("/", 1)[-1]


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _time(value: Any) -> str:
    moment = _instant(value)
    if moment is None:
        return _e(value)
    return f'<time datetime="{_e(value)}">{moment.strftime("%Y-%m-%d %H:%M:%S")} UTC</time>'


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


class _Names:
    """Subscription display names, from the summary (keyed by id, exactly and case-insensitively)."""

    def __init__(self, by_subscription: Sequence[Mapping[str, Any]]) -> None:
        self._names: dict[str, str] = {}
        for row in by_subscription:
            sub = str(row.get("subscriptionId") or NONE)
            name = str(row.get("displayName") or sub)
            self._names.setdefault(sub, name)
            self._names.setdefault(sub.lower(), name)

    def __call__(self, subscription_id: str) -> str:
        if subscription_id == NONE:
            return "(no subscription)"
        return self._names.get(subscription_id) or self._names.get(subscription_id.lower()) or subscription_id


def render_page(gaps_document: dict[str, Any]) -> str:
    """The whole page (HTML5, self-contained) for a gaps document."""
    sweep: Mapping[str, Any] = gaps_document.get("sweep") or {}
    summary: Mapping[str, Any] = gaps_document.get("summary") or {}
    gaps: list[Mapping[str, Any]] = list(gaps_document.get("gaps") or [])
    names = _Names(summary.get("bySubscription") or [])
    gap_count = len(gaps)
    title = (
        f"Backup compliance: {_num(gap_count)} {'gap' if gap_count == 1 else 'gaps'}"
        f" (sweep {sweep.get('id') or '?'})"
    )
    parts = [
        "<!DOCTYPE html>\n",
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CONTENT_SECURITY_POLICY)}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        '<meta name="referrer" content="no-referrer">\n',
        f"<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        _header(sweep, names),
        _totals(summary),
        _charts(summary, names),
        _gaps_section(gaps, summary, names),
        f'<footer class="sub">gaps document, schema version {_e(gaps_document.get("schemaVersion"))}'
        "</footer>\n",
        f"</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
    ]
    return "".join(parts)


def _header(sweep: Mapping[str, Any], names: _Names) -> str:
    scope: Mapping[str, Any] = sweep.get("scope") or {}
    started, finished = sweep.get("startedAt"), sweep.get("finishedAt")
    if finished:
        finished_html = _time(finished)
        begin, end = _instant(started), _instant(finished)
        if begin and end:
            finished_html += f'<div class="sub">took {_duration((end - begin).total_seconds())}</div>'
    else:
        finished_html = '<span class="sub">not finished</span>'
    mode = str(sweep.get("remediation") or "off")
    subscriptions = [str(s) for s in scope.get("subscriptions") or []]
    groups = [str(g) for g in scope.get("managementGroups") or []]
    meta = [
        ("Trigger", "sweep-trigger", _e(sweep.get("trigger")), ""),
        ("Started", "sweep-started", _time(started), ""),
        ("Finished", "sweep-finished", finished_html, ""),
        ("Remediation", "sweep-remediation", _remediation(mode), f' data-mode="{_e(mode)}"'),
        (
            "Subscriptions",
            "scope-subscriptions",
            _scope_list([(names(s), s) for s in subscriptions], "subscription"),
            f' data-count="{len(subscriptions)}"',
        ),
        (
            "Management groups",
            "scope-management-groups",
            _scope_list([(g, g) for g in groups], "management group"),
            f' data-count="{len(groups)}"',
        ),
    ]
    items = "".join(
        f'<div><dt>{label}</dt><dd id="{ident}"{attrs}>{value}</dd></div>'
        for label, ident, value, attrs in meta
    )
    notes = [n for n in sweep.get("notes") or [] if isinstance(n, Mapping)]
    note_items = "".join(
        f'<li data-source="{_e(n.get("source"))}"><strong>{_e(n.get("source"))}</strong>: '
        f"{_e(n.get('note'))}</li>"
        for n in notes
    )
    listed = (
        f'<ul class="notes" id="notes">{note_items}</ul>' if notes else '<p class="sub" id="notes">none</p>'
    )
    notes_html = f'<div><div class="notes-title">How the inventory was made</div>{listed}</div>'
    return (
        f'<header class="card" id="sweep" data-sweep-id="{_e(sweep.get("id"))}">\n'
        f'<div class="titleline"><h1>Backup compliance</h1>'
        f'<span class="sweep-id">sweep <code>{_e(sweep.get("id"))}</code></span></div>\n'
        f'<dl class="meta">{items}</dl>\n{notes_html}\n</header>\n'
    )


def _remediation(mode: str) -> str:
    short, meaning = REMEDIATION.get(mode, (mode, ""))
    return f"<b>{_e(short)}</b>" + (f' <span class="sub">({_e(meaning)})</span>' if meaning else "")


def _scope_list(items: Sequence[tuple[str, str]], noun: str) -> str:
    """Names (with the id as a tooltip when it differs), inline when few, else folded in a <details>."""
    if not items:
        return '<span class="sub">none named</span>'
    shown = [
        f'<span title="{_e(ident)}">{_e(name)}</span>' if name != ident else f"<span>{_e(name)}</span>"
        for name, ident in items
    ]
    if len(items) <= _INLINE_LIST[0] and sum(len(name) + 2 for name, _ in items) <= _INLINE_LIST[1]:
        return ", ".join(shown)
    listed = "".join(f"<li>{s}</li>" for s in shown)
    return f"<details><summary>{_num(len(shown))} {noun}s</summary><ul>{listed}</ul></details>"


def _totals(summary: Mapping[str, Any]) -> str:
    total = int(summary.get("total") or 0)
    gaps = int(summary.get("gaps") or 0)
    counts: Mapping[str, Any] = summary.get("byClassification") or {}
    share = f"{gaps / total:.0%} of resources" if total else "no resources"
    tiles = (
        f'<div class="tile" id="total-resources" data-count="{total}"><div class="n">{_num(total)}</div>'
        f'<div class="l">resources in scope</div></div>'
        f'<div class="tile{"" if gaps else " none"}" id="total-gaps" data-count="{gaps}">'
        f'<div class="n">{_num(gaps)}</div>'
        f'<div class="l">{"gap" if gaps == 1 else "gaps"} ({share})</div></div>'
    )
    items = []
    for classification in _ordered([*ORDER, *counts]):
        n = int(counts.get(classification) or 0)
        is_gap = classification not in _GAP_FREE
        label = _e(_label(classification))
        text = (
            f'<a href="#classification={_e(classification)}">{label}</a>'
            if n and is_gap
            else f'<span class="l">{label}</span>'
        )
        items.append(
            f'<li class="count {_css_class(classification)}{"" if n else " zero"}" '
            f'data-classification="{_e(classification)}" data-count="{n}" '
            f'title="{_e(MEANINGS.get(classification, classification))}">'
            f'<span class="sw"></span>{text}<b>{_num(n)}</b></li>'
        )
    overall = _overall_bar(counts, total)
    return (
        f'<section class="card" id="totals" aria-label="Totals">{tiles}'
        f'<ul class="counts">{"".join(items)}</ul><div class="overall">{overall}</div></section>\n'
    )


def _overall_bar(counts: Mapping[str, Any], total: int) -> str:
    width, height = 1000, 14
    segments = _segments(
        {k: int(v or 0) for k, v in counts.items()}, total, 0, 0, width, height, "all resources"
    )
    desc = ", ".join(
        f"{_label(c)} {int(counts.get(c) or 0)}" for c in _ordered(counts) if int(counts.get(c) or 0)
    )
    return (
        f'<svg id="chart-overall" viewBox="0 0 {width} {height}" width="100%" height="{height}" '
        f'preserveAspectRatio="none" role="img" aria-labelledby="chart-overall-title">'
        f'<title id="chart-overall-title">All {_num(total)} resources by classification: {_e(desc) or "none"}'
        f'</title><rect x="0" y="0" width="{width}" height="{height}" rx="3" fill="#eef0f3"></rect>'
        f"{segments}</svg>"
    )


def _segments(
    counts: Mapping[str, int], total: int, x: float, y: float, width: float, height: float, of: str
) -> str:
    """The stacked segments of one bar (each with a <title>), in :data:`ORDER`."""
    if total <= 0:
        return ""
    out = []
    offset = x
    for classification in _ordered(counts):
        n = counts.get(classification, 0)
        if n <= 0:
            continue
        w = width * n / total
        out.append(
            f'<rect x="{offset:.2f}" y="{y}" width="{w:.2f}" height="{height}" '
            f'fill="{_fill(classification)}">'
            f"<title>{_e(of)}: {_e(_label(classification))} {_num(n)} of {_num(total)}</title></rect>"
        )
        offset += w
    return "".join(out)


def _charts(summary: Mapping[str, Any], names: _Names) -> str:
    subscription_rows = []
    for row in summary.get("bySubscription") or []:
        sub = str(row.get("subscriptionId") or NONE)
        subscription_rows.append(("subscription", sub, names(sub), dict(row.get("counts") or {})))
    kind_rows = []
    for row in summary.get("byKind") or []:
        kind = str(row.get("kind") or NONE)
        kind_rows.append(("kind", kind, _kind_label(kind), dict(row.get("counts") or {})))
    return (
        '<section id="charts" aria-label="Charts">\n'
        + _chart("chart-subscriptions", "By subscription", subscription_rows)
        + _chart("chart-kinds", "By kind", kind_rows)
        + "</section>\n"
    )


def _chart(chart_id: str, heading: str, rows: Sequence[tuple[str, str, str, dict[str, Any]]]) -> str:
    """A horizontal stacked bar per row (its share of each classification), labelled with name and counts,
    the rows with the most gaps first."""
    if not rows:
        empty = f'<p class="empty" id="{chart_id}">No resources in scope.</p>'
        return f'<div class="card"><h2>{heading}</h2>{empty}</div>\n'
    label_w, bar_w, count_w, row_h, bar_h = 190, 290, 120, 24, 14
    width = label_w + bar_w + count_w
    height = row_h * len(rows) + 4
    bars = []
    descriptions = []
    tallied = []
    for attr, key, label, raw_counts in rows:
        counts = {str(k): int(v or 0) for k, v in raw_counts.items()}
        gaps = sum(n for c, n in counts.items() if c not in _GAP_FREE)
        tallied.append((attr, key, label, counts, gaps))
    tallied.sort(key=lambda row: (-row[4], row[2].lower(), row[1]))  # the most gaps first
    for i, (attr, key, label, counts, gaps) in enumerate(tallied):
        total = sum(counts.values())
        y = i * row_h + 2
        parts = ", ".join(f"{_label(c)} {counts[c]}" for c in _ordered(counts) if counts[c])
        summary_text = f"{label}: {total} resources, {gaps} gaps ({parts})"
        descriptions.append(summary_text)
        shown = label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "\u2026"
        text = f'<text x="0" y="{y + 13}">{_e(shown)}</text>'
        if gaps:
            text = f'<a href="#{attr}={_e(key)}">{text}</a>'
        bars.append(
            f'<g class="bar" data-{attr}="{_e(key)}" data-total="{total}" data-gaps="{gaps}" '
            f'aria-label="{_e(summary_text)}"><title>{_e(summary_text)}</title>{text}'
            f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="{bar_h}" rx="2" fill="#eef0f3"></rect>'
            f"{_segments(counts, total, label_w, y, bar_w, bar_h, label)}"
            f'<text class="n" x="{label_w + bar_w + 8}" y="{y + 12}">'
            f"{_num(gaps)} {'gap' if gaps == 1 else 'gaps'} / {_num(total)}</text></g>"
        )
    return (
        f'<div class="card"><h2 id="{chart_id}-heading">{heading}</h2><div class="chart-box">'
        f'<svg id="{chart_id}" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{heading}: share of resources by classification</title>'
        f'<desc id="{chart_id}-desc">{_e("; ".join(descriptions))}</desc>{"".join(bars)}</svg></div></div>\n'
    )


def _gaps_section(gaps: Sequence[Mapping[str, Any]], summary: Mapping[str, Any], names: _Names) -> str:
    if not gaps:
        total = int(summary.get("total") or 0)
        message = (
            f"No gaps: all {_num(total)} resources in scope are protected, excluded or unsupported."
            if total
            else "No gaps: the sweep found no resources in scope."
        )
        return f'<section class="card" id="gaps"><h2>Gaps</h2><p id="no-gaps">{message}</p></section>\n'
    rows = sorted(
        gaps,
        key=lambda g: (
            _rank(str(g.get("classification") or "")),
            names(_sub_of(g)).lower(),
            str(g.get("resourceId") or "").lower(),
        ),
    )
    by_classification = Counter(str(g.get("classification") or "") for g in gaps)
    by_subscription = Counter(_sub_of(g) for g in gaps)
    by_kind = Counter(_kind_of(g) for g in gaps)
    filters = (
        '<div class="filters" role="search">'
        + _select(
            "classification",
            "Classification",
            [(c, _label(c), by_classification[c]) for c in _ordered(by_classification)],
        )
        + _select("subscription", "Subscription", _subscription_options(by_subscription, names))
        + _select(
            "kind",
            "Kind",
            sorted(((k, _kind_label(k), n) for k, n in by_kind.items()), key=lambda o: o[1].lower()),
        )
        + '<button type="button" id="filter-reset">Show all</button>'
        + f'<span id="gap-counter" aria-live="polite" data-shown="{len(gaps)}" data-total="{len(gaps)}">'
        + f"{_num(len(gaps))} of {_num(len(gaps))} {'gap' if len(gaps) == 1 else 'gaps'} shown</span></div>"
    )
    # Column widths are set by CSS classes below, not inline styles (the CSP allows the one <style> only).
    head = (
        '<colgroup><col class="w-res"><col class="w-cls"><col class="w-reason"><col class="w-act">'
        '<col class="w-sub"><col class="w-kind"><col class="w-vault"><col class="w-err"></colgroup>'
    )
    thead = (
        "<thead><tr>"
        + "".join(
            f'<th scope="col">{h}</th>'
            for h in (
                "Resource",
                "Classification",
                "Reason",
                "Recommended action",
                "Subscription",
                "Kind",
                "Vault / policy",
                "Error",
            )
        )
        + "</tr></thead>"
    )
    body = "".join(_row(g, names) for g in rows)
    no_match = '<tr id="no-match" hidden><td colspan="8">No gap matches these filters.</td></tr>'
    return (
        f'<section class="card" id="gaps"><h2>Gaps</h2>\n{filters}\n'
        '<noscript><p class="sub">The filters need JavaScript; every gap is listed below.</p></noscript>\n'
        f'<table id="gaps-table">{head}{thead}<tbody id="gap-rows">\n{body}{no_match}</tbody></table>\n'
        "</section>\n"
    )


def _rank(classification: str) -> int:
    return ORDER.index(classification) if classification in ORDER else len(ORDER)


def _sub_of(gap: Mapping[str, Any]) -> str:
    return str(gap.get("subscriptionId") or NONE)


def _kind_of(gap: Mapping[str, Any]) -> str:
    return str(gap.get("kind") or NONE)


def _subscription_options(counts: Mapping[str, int], names: _Names) -> list[tuple[str, str, int]]:
    labels = {sub: names(sub) for sub in counts}
    repeated = {label for label, n in Counter(labels.values()).items() if n > 1}
    options = [
        (sub, f"{label} ({sub[:8]})" if label in repeated and label != sub else label, counts[sub])
        for sub, label in labels.items()
    ]
    return sorted(options, key=lambda o: o[1].lower())


def _select(name: str, label: str, options: Sequence[tuple[str, str, int]]) -> str:
    items = "".join(
        f'<option value="{_e(value)}">{_e(text)} ({_num(n)})</option>' for value, text, n in options
    )
    return (
        f'<label for="filter-{name}">{label}<select id="filter-{name}" name="{name}">'
        f'<option value="">All</option>{items}</select></label>'
    )


def _named_id(label: str, resource_id: Any) -> str:
    """``label: <name>`` with the whole id as a tooltip, or nothing when there is no id."""
    if not resource_id:
        return ""
    named = f'<span title="{_e(resource_id)}">{_e(_last_segment(resource_id))}</span>'
    return f'<div><span class="sub">{label}</span> {named}</div>'


def _row(gap: Mapping[str, Any], names: _Names) -> str:
    classification = str(gap.get("classification") or "")
    sub = _sub_of(gap)
    kind = _kind_of(gap)
    resource_id = str(gap.get("resourceId") or "")
    name = gap.get("name") or _last_segment(resource_id)
    place = " \u00b7 ".join(_e(v) for v in (gap.get("resourceGroup"), gap.get("location")) if v)
    resource = (
        f'<td class="res"><b>{_e(name)}</b><code>{_e(resource_id)}</code>'
        + (f'<span class="sub">{place}</span>' if place else "")
        + "</td>"
    )
    state = gap.get("protectionState")
    last: Mapping[str, Any] = gap.get("lastBackup") or {}
    details = []
    if state:
        details.append(f'<div class="sub">state {_e(state)}</div>')
    if last.get("status"):
        when = last.get("endTime") or last.get("startTime")
        details.append(
            f'<div class="sub">last backup {_e(last.get("status"))}'
            + (f" {_time(when)}" if when else "")
            + "</div>"
        )
    badge = (
        f'<td><span class="badge {_css_class(classification)}" '
        f'title="{_e(MEANINGS.get(classification, classification))}">{_e(_label(classification))}</span>'
        f"{''.join(details)}</td>"
    )
    actions = [a for a in gap.get("recommendedAction") or [] if a]
    action = (
        '<td><ul class="actions">' + "".join(f"<li>{_e(a)}</li>" for a in actions) + "</ul></td>"
        if actions
        else "<td></td>"
    )
    sub_name = names(sub)
    subscription = f'<td title="{_e(sub)}">{_e(sub_name)}</td>'
    kind_text = _kind_label(kind) if kind != NONE else (gap.get("resourceType") or _kind_label(kind))
    vault = [
        _named_id("vault", gap.get("vaultId")),
        _named_id("policy", gap.get("policyId")),
    ]
    expected_vault, expected_policy = gap.get("expectedVaultId"), gap.get("expectedPolicyId")
    if classification == Classification.DRIFT.value or not (gap.get("vaultId") or gap.get("policyId")):
        vault += [_named_id("expected vault", expected_vault), _named_id("expected policy", expected_policy)]
    if gap.get("rule"):
        vault.append(f'<div><span class="sub">rule</span> {_e(gap.get("rule"))}</div>')
    error: Mapping[str, Any] = gap.get("error") or {}
    error_html = ""
    if error:
        error_html = f"<code>{_e(error.get('code'))}</code>" + (
            f"<div>{_text(error.get('message'))}</div>" if error.get("message") else ""
        )
    return (
        f'<tr class="gap-row" data-classification="{_e(classification)}" data-subscription="{_e(sub)}" '
        f'data-kind="{_e(kind)}" data-resource-id="{_e(resource_id)}">'
        f"{resource}{badge}<td>{_text(gap.get('reason'))}</td>{action}{subscription}"
        f'<td>{_e(kind_text)}</td><td>{"".join(vault)}</td><td class="err">{error_html}</td></tr>\n'
    )
