"""The deflection chart as hand-written SVG: contacts over time, notified versus holdout,
with the notice's progress.

Drawn from the report's ``deflection.timeline`` alone, so the API (``report.svg``) and the
CLI (``report --chart``) draw the same picture. Cumulative contacting customers per 1,000 of
each group on the left axis; the share of the notified whose notice was delivered on the
right. Each series is a ``polyline`` with ``id="series-<name>"`` for tools and tests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from broadcaster.domain.timefmt import parse_rfc3339

WIDTH, HEIGHT = 800, 440
LEFT, RIGHT, TOP, BOTTOM = 64, 736, 56, 352
COLOURS = {"notified": "#1f77b4", "holdout": "#d62728", "delivered": "#7f7f7f"}


def _nice_step(top: float) -> float:
    """A round tick step giving four or five ticks up to ``top``."""
    raw = top / 4
    power = 10.0 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def _elapsed(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}"


def _points(values: Sequence[float], top: float) -> str:
    last = max(1, len(values) - 1)
    return " ".join(
        f"{LEFT + (RIGHT - LEFT) * i / last:.1f},{BOTTOM - (BOTTOM - TOP) * v / top:.1f}"
        for i, v in enumerate(values)
    )


def _text(x: float, y: float, body: str, anchor: str = "start", css: str = "label") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{css}">{escape(body)}</text>'
    )


def _axes(top: float, at: Sequence[str]) -> list[str]:
    step = _nice_step(top)
    parts = ['<g id="axes">']
    tick = 0.0
    while tick <= top + 1e-9:
        y = BOTTOM - (BOTTOM - TOP) * tick / top
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{RIGHT}" y2="{y:.1f}" class="grid"/>')
        parts.append(_text(LEFT - 6, y + 4, f"{tick:g}", "end"))
        tick += step
    for share in (0, 50, 100):
        y = BOTTOM - (BOTTOM - TOP) * share / 100
        parts.append(_text(RIGHT + 6, y + 4, f"{share}%"))
    times = [parse_rfc3339(t) for t in at]
    first = times[0]
    for i in range(0, len(times), max(1, (len(times) - 1) // 6)):
        x = LEFT + (RIGHT - LEFT) * i / max(1, len(times) - 1)
        moment = times[i]
        seconds = (moment - first).total_seconds() if moment and first else 0.0
        parts.append(_text(x, BOTTOM + 18, "+" + _elapsed(seconds), "middle"))
    parts.append(_text(LEFT - 50, TOP - 14, "contacting customers per 1,000"))
    parts.append(_text(RIGHT + 40, TOP - 14, "notice delivered", "end"))
    parts.append(
        _text((LEFT + RIGHT) / 2, BOTTOM + 36, "time since the incident started", "middle")
    )
    parts.append("</g>")
    return parts


def _series(name: str, values: Sequence[float], top: float, dashed: bool = False) -> str:
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    return (
        f'<polyline id="series-{name}" class="series {name}" fill="none" '
        f'stroke="{COLOURS[name]}" stroke-width="2"{dash} points="{_points(values, top)}"/>'
    )


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"


def _summary(deflection: Mapping[str, Any]) -> str:
    deflected = deflection.get("deflected")
    if not deflected:
        return f"method: {deflection.get('method', 'none')} - no estimate"
    low, high = deflected["ci"]
    text = (
        f"estimated contacts deflected ({deflection['method']}): "
        f"{_number(deflected['estimate'])} (95% CI {_number(low)} to {_number(high)})"
    )
    cost = deflection.get("cost_saved")
    if cost:
        text += f"; cost saved {_number(cost['estimate'])} {cost['currency']}"
    return text


def render_svg(report: Mapping[str, Any]) -> str:
    """The chart of one incident report (the API's JSON) as an SVG document."""
    incident = report.get("incident", {})
    deflection = report.get("deflection") or {}
    timeline = deflection.get("timeline") or {}
    title = f"{incident.get('id', '')} {incident.get('title', '')}".strip()
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title">',
        f'<title id="chart-title">{escape(title)}: contacts, notified vs holdout</title>',
        "<style>.label{font:12px sans-serif;fill:#333}.grid{stroke:#ddd}"
        ".title{font:bold 14px sans-serif}</style>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        _text(LEFT, 24, f"{title}: contacting customers per 1,000", css="title"),
    ]
    if not timeline.get("at"):
        parts += [_text(WIDTH / 2, HEIGHT / 2, "no deflection data", "middle"), "</svg>"]
        return "\n".join(parts)
    notified, holdout = timeline["notified_per_1000"], timeline["holdout_per_1000"]
    with_holdout = (deflection.get("holdout") or {}).get("customers", 0) > 0
    highest = max([*notified, *(holdout if with_holdout else []), 0.0])
    top = _nice_step(max(highest * 1.1, 1.0)) * 4
    parts += _axes(top, timeline["at"])
    parts.append(_series("notified", notified, top))
    legend = [("notified", "notified customers")]
    if with_holdout:
        parts.append(_series("holdout", holdout, top))
        legend.append(("holdout", "holdout (not notified)"))
    delivered = [100 * s for s in timeline["delivered_share"]]
    parts.append(_series("delivered", delivered, 100, dashed=True))
    legend.append(("delivered", "notices delivered (right axis)"))
    parts.append('<g id="legend">')
    for i, (name, label) in enumerate(legend):
        x = LEFT + 210 * i
        parts.append(
            f'<line x1="{x}" y1="{HEIGHT - 40}" x2="{x + 24}" y2="{HEIGHT - 40}" '
            f'stroke={quoteattr(COLOURS[name])} stroke-width="3"/>'
        )
        parts.append(_text(x + 30, HEIGHT - 36, label))
    parts.append("</g>")
    parts.append(_text(LEFT, HEIGHT - 12, _summary(deflection)))
    parts.append("</svg>")
    return "\n".join(parts)
