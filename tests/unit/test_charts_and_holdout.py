"""The deflection chart is well-formed SVG with its series; who gets a holdout."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from broadcaster.charts import render_svg
from broadcaster.config import Settings
from broadcaster.domain.contacts import WindowTally
from broadcaster.domain.deflection import Group
from broadcaster.domain.deflection_report import Inputs, build
from broadcaster.domain.incidents import Incident, Severity, Status
from broadcaster.services.planning import holdout_per_million

SVG = "{http://www.w3.org/2000/svg}"
T0 = 1_795_000_000_000


def report(
    holdout: set[int], cost: float = 25_000.0, title: str = "Fibre <cut> & co"
) -> dict[str, Any]:
    notified = set(range(1, 901))
    first = {o: T0 + o * 1000 for o in range(1, 901, 50)}
    first.update({o: T0 + 600_000 for o in holdout if o % 10 == 0})
    deflection = build(
        Inputs(
            start_ms=T0,
            end_ms=T0 + 3_600_000,
            notified=notified,
            holdout=holdout,
            delivered={o: T0 + o * 2000 for o in notified},
            contacts=WindowTally(first=first, events=Counter(first)),
            baseline=Group(3600, 20),
            baseline_windows=[(T0 - 604_800_000, T0 - 601_200_000)],
            answered=4,
            cost_per_contact=cost,
            currency="IDR",
            points=25,
        )
    )
    return {"incident": {"id": "INC-7", "title": title}, "deflection": deflection}


def series(root: ET.Element) -> dict[str, list[tuple[float, ...]]]:
    out = {}
    for line in root.iter(f"{SVG}polyline"):
        points = [tuple(map(float, p.split(","))) for p in line.attrib["points"].split()]
        out[line.attrib["id"]] = points
    return out


def test_the_chart_is_well_formed_svg_with_notified_holdout_and_progress_series():
    svg = render_svg(report(set(range(901, 1001))))
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    found = series(root)
    assert set(found) == {"series-notified", "series-holdout", "series-delivered"}
    assert all(len(points) == 25 for points in found.values()), "one point per timeline instant"
    holdout_y = [y for _, y in found["series-holdout"]]
    notified_y = [y for _, y in found["series-notified"]]
    assert holdout_y[-1] < notified_y[-1], "the holdout line ends higher (SVG y grows down)"
    assert holdout_y == sorted(holdout_y, reverse=True), "cumulative: never goes down"
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Fibre <cut> & co" in texts, "escaped in the file, intact when parsed"
    assert "estimated contacts deflected (holdout)" in texts
    assert "cost saved" in texts
    assert root.find(f"{SVG}g[@id='legend']") is not None


def test_without_a_holdout_there_is_no_holdout_line_and_empty_reports_still_render():
    root = ET.fromstring(render_svg(report(set(), cost=0.0)))
    assert set(series(root)) == {"series-notified", "series-delivered"}
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "(baseline)" in texts
    assert "cost saved" not in texts
    empty = ET.fromstring(render_svg({"incident": {"id": "INC-8"}, "deflection": {}}))
    assert "no deflection data" in "".join(t.text or "" for t in empty.iter(f"{SVG}text"))
    bare = report(set())
    bare["deflection"] = {**bare["deflection"], "deflected": None, "method": "none"}
    assert "method: none - no estimate" in render_svg(bare)


def incident(severity: Severity, holdout: float | None = None) -> Incident:
    started = datetime(2026, 11, 24, tzinfo=UTC)
    return Incident(
        "INC-1", "t", severity, Status.INVESTIGATING, started, "api", holdout_percent=holdout
    )


def test_holdout_is_off_by_default_overridable_per_incident_and_spares_critical_ones():
    default = Settings()
    configured = dataclasses.replace(
        default, broadcast=dataclasses.replace(default.broadcast, holdout_percent=5.0)
    )
    assert holdout_per_million(incident(Severity.MAJOR), default) == 0
    assert holdout_per_million(incident(Severity.MAJOR), configured) == 50_000
    assert holdout_per_million(incident(Severity.MAJOR, 10.0), default) == 100_000
    assert holdout_per_million(incident(Severity.MAJOR, 0.0), configured) == 0
    assert holdout_per_million(incident(Severity.CRITICAL, 10.0), configured) == 0
    on_critical = dataclasses.replace(
        configured, broadcast=dataclasses.replace(configured.broadcast, holdout_on_critical=True)
    )
    assert holdout_per_million(incident(Severity.CRITICAL), on_critical) == 50_000
