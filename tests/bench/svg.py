"""The benchmark report as one HTML page with inline SVG plots (no network, no plotting library)."""

from __future__ import annotations

import html
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
W, H, PAD = 720, 280, 48

Series = tuple[str, Sequence[tuple[float, float]]]


def _scale(lo: float, hi: float, a: float, b: float) -> Any:
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def line_chart(
    title: str, series: list[Series], *, xlabel: str, ylabel: str, hlines: Sequence[tuple[str, float]] = ()
) -> str:
    points = [p for _, pts in series for p in pts]
    if not points:
        return f"<p>{html.escape(title)}: no data</p>"
    xmax = max(p[0] for p in points) or 1.0
    ymax = max([p[1] for p in points] + [v for _, v in hlines]) * 1.08 or 1.0
    sx, sy = _scale(0, xmax, PAD, W - 10), _scale(0, ymax, H - PAD, 20)
    parts = [_frame(title, xlabel, ylabel, xmax, ymax, sx, sy)]
    for i, (label, pts) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}"/>')
        parts.append(_legend(i, label, colour))
    for label, value in hlines:
        y = sy(value)
        parts.append(
            f'<line x1="{PAD}" x2="{W - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#444" stroke-dasharray="5,4"/>'
            f'<text x="{W - 12}" y="{y - 4:.1f}" font-size="11" text-anchor="end">{html.escape(label)}</text>'
        )
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}">{"".join(parts)}</svg>'


def bar_chart(title: str, groups: dict[str, dict[str, float]], *, ylabel: str) -> str:
    """Groups of bars: ``{group: {bar: value}}`` (the bars of every group share colours)."""
    bars = sorted({b for g in groups.values() for b in g})
    values = [v for g in groups.values() for v in g.values()]
    if not values:
        return f"<p>{html.escape(title)}: no data</p>"
    ymax = max(values) * 1.1 or 1.0
    sy = _scale(0, ymax, H - PAD, 20)
    width = (W - PAD - 10) / max(1, len(groups))
    bar_w = width * 0.8 / max(1, len(bars))
    parts = [_frame(title, "", ylabel, None, ymax, None, sy)]
    for gi, (group, members) in enumerate(groups.items()):
        x0 = PAD + gi * width + width * 0.1
        for bi, bar in enumerate(bars):
            value = members.get(bar)
            if value is None:
                continue
            x, y = x0 + bi * bar_w, sy(value)
            tip = html.escape(f"{group} {bar}: {value:g}")
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w * 0.9:.1f}" height="{H - PAD - y:.1f}" '
                f'fill="{COLOURS[bi % len(COLOURS)]}"><title>{tip}</title>'
                f'</rect><text x="{x + bar_w * 0.45:.1f}" y="{y - 2:.1f}" font-size="9" '
                f'text-anchor="middle">{value:g}</text>'
            )
        parts.append(
            f'<text x="{x0 + width * 0.4:.1f}" y="{H - PAD + 14}" font-size="11" '
            f'text-anchor="middle">{html.escape(group)}</text>'
        )
    for bi, bar in enumerate(bars):
        parts.append(_legend(bi, bar, COLOURS[bi % len(COLOURS)]))
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}">{"".join(parts)}</svg>'


def _frame(title: str, xlabel: str, ylabel: str, xmax: float | None, ymax: float, sx: Any, sy: Any) -> str:
    parts = [
        f'<text x="{W / 2}" y="14" font-size="13" text-anchor="middle" font-weight="bold">'
        f"{html.escape(title)}</text>",
        f'<line x1="{PAD}" x2="{PAD}" y1="20" y2="{H - PAD}" stroke="#000"/>',
        f'<line x1="{PAD}" x2="{W - 10}" y1="{H - PAD}" y2="{H - PAD}" stroke="#000"/>',
        f'<text x="12" y="{H / 2}" font-size="11" transform="rotate(-90 12 {H / 2})" text-anchor="middle">'
        f"{html.escape(ylabel)}</text>",
        f'<text x="{W / 2}" y="{H - 10}" font-size="11" text-anchor="middle">{html.escape(xlabel)}</text>',
    ]
    for k in range(5):
        value = ymax * k / 4
        parts.append(
            f'<text x="{PAD - 4}" y="{sy(value) + 4:.1f}" font-size="10" text-anchor="end">{value:.4g}</text>'
        )
    if xmax is not None and sx is not None:
        for k in range(5):
            value = xmax * k / 4
            parts.append(
                f'<text x="{sx(value):.1f}" y="{H - PAD + 14}" font-size="10" text-anchor="middle">'
                f"{value:.4g}</text>"
            )
    return "".join(parts)


def _legend(index: int, label: str, colour: str) -> str:
    y = 28 + 14 * index
    return (
        f'<rect x="{PAD + 10}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
        f'<text x="{PAD + 24}" y="{y}" font-size="11">{html.escape(label)}</text>'
    )


def _cumulative(times: Sequence[float]) -> list[tuple[float, float]]:
    return [(0.0, 0.0)] + [(t, float(i + 1)) for i, t in enumerate(sorted(times))]


def _per_second(
    timeline: list[dict[str, Any]], bucket: str, subscription: str | None
) -> list[tuple[float, float]]:
    counts: defaultdict[int, int] = defaultdict(int)
    for entry in timeline:
        if entry["bucket"] == bucket and (subscription is None or entry["subscription"] == subscription):
            counts[int(entry["second"])] += int(entry["count"])
    if not counts:
        return []
    return [(float(s), float(counts.get(s, 0))) for s in range(max(counts) + 1)]


def _busiest(timeline: list[dict[str, Any]]) -> str | None:
    totals: defaultdict[str, int] = defaultdict(int)
    for entry in timeline:
        if entry["bucket"] != "429" and entry["subscription"] != "-":
            totals[entry["subscription"]] += int(entry["count"])
    return max(totals, key=lambda k: totals[k]) if totals else None


def _work_groups(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    groups: dict[str, dict[str, float]] = {}
    for key, label in (
        ("protection", "per protection"),
        ("restore", "per restore"),
        ("sweep", "per 1,000 rows"),
    ):
        part = report.get(key)
        if not part:
            continue
        unit = part["work"]["per_unit"]
        history = (part.get("per_instance") or {}).get("history_events", {}).get("median")
        if key == "sweep":
            total = sum(v["history_events"]["total"] for v in part["per_instance"].values())
            history = round(total / max(part["work"]["units"], 1e-9), 1)
        groups[label] = {
            "ARM calls": unit["arm_calls"],
            "activity executions": unit["activity_executions"],
            "episodes": unit["episodes"],
            "history events": float(history or 0),
            "task-hub storage transactions": unit["task_hub_storage_transactions"],
        }
    return groups


def report_page(report: dict[str, Any]) -> str:
    sections: list[str] = []
    burst = report.get("protection")
    if burst:
        bound = burst["throttle_bound"]["bound_seconds"]
        sections.append(
            line_chart(
                "Outcomes over time",
                [
                    ("accounts created", _cumulative(burst["create_times"])),
                    ("outcomes", _cumulative(burst["outcome_times"])),
                ],
                xlabel="seconds since the first create",
                ylabel="resources",
                hlines=[(f"all {burst['resources']}", float(burst["resources"]))],
            )
            + f"<p>Throttle bound {bound:.1f}s; all outcomes after {burst['all_seconds']}s.</p>"
        )
        sub = _busiest(burst["timeline"])
        if sub is not None:
            sections.append(
                line_chart(
                    f"ARM calls per second, subscription {sub} (all callers), against ARM's refill rates",
                    [
                        ("writes/s", _per_second(burst["timeline"], "writes", sub)),
                        ("reads/s", _per_second(burst["timeline"], "reads", sub)),
                        ("429s/s", _per_second(burst["timeline"], "429", sub)),
                    ],
                    xlabel="seconds",
                    ylabel="calls per second",
                    hlines=[("write refill 10/s", 10.0), ("read refill 25/s", 25.0)],
                )
            )
    groups = _work_groups(report)
    if groups:
        sections.append(bar_chart("Work per unit", groups, ylabel="count per unit"))
    scale = report.get("scale_out")
    if scale:
        by_n: dict[str, dict[str, float]] = {}
        spans: dict[str, dict[str, float]] = {}
        for m in scale["medians"]:
            by_n.setdefault(f"N={m['instances']}", {})[m["design"]] = round(100 * m["share_429"], 2)
            spans.setdefault(f"N={m['instances']}", {})[m["design"]] = m["makespan_seconds"]
        sections.append(bar_chart("Scale-out: 429s as % of ARM calls (target <= 1%)", by_n, ylabel="% 429"))
        sections.append(
            bar_chart(
                f"Scale-out: makespan (ARM's bound {scale['throttle_bound_seconds']:.1f}s)", spans, ylabel="s"
            )
        )
    summary = {k: v for k, v in report.items() if k in ("started", "scale", "parameters")}
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Backup Autopilot benchmark</title>"
        "<style>body{font-family:sans-serif;margin:2em}pre{background:#f4f4f4;padding:1em;overflow:auto}</style>"
        "</head><body><h1>Backup Autopilot benchmark</h1>"
        f"<pre>{html.escape(json.dumps(summary, indent=1))}</pre>"
        + "".join(f"<section>{s}</section>" for s in sections)
        + f"<h2>Figures</h2><pre>{html.escape(json.dumps(_without_series(report), indent=1))}</pre>"
        "</body></html>"
    )


def _without_series(report: dict[str, Any]) -> dict[str, Any]:
    """The report minus its long series (they are in the JSON file)."""
    dropped = {"outcome_times", "create_times", "timeline", "runs"}

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in dropped}
        return value

    stripped: dict[str, Any] = strip(report)
    return stripped
