"""The commander's verbs over the HTTP API: ``incident ...`` and ``report``."""

from __future__ import annotations

import argparse
import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from broadcaster.charts import render_svg
from broadcaster.cli.api_client import call
from broadcaster.cli.output import as_json, table
from broadcaster.clock import utc_now
from broadcaster.config import Settings
from broadcaster.domain.segments import parse_labels as labels
from broadcaster.domain.timefmt import format_rfc3339

_RELATIVE = re.compile(r"^\+(\d+)([mhd])$")


def when(text: str) -> str:
    """An RFC 3339 time, or ``+90m`` / ``+2h`` / ``+1d`` from now."""
    match = _RELATIVE.match(text.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        delta = {"m": timedelta(minutes=amount), "h": timedelta(hours=amount)}.get(
            unit, timedelta(days=amount)
        )
        return format_rfc3339(utc_now() + delta) or ""
    return text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    incident = sub.add_parser("incident", help="declare, update, resolve, show, list incidents")
    verbs = incident.add_subparsers(dest="verb", required=True, metavar="VERB")

    declare = verbs.add_parser("declare", help="declare a customer-facing incident")
    declare.add_argument("--title", required=True)
    declare.add_argument("--segment", action="append", dest="segments", default=[])
    declare.add_argument("--severity", choices=["minor", "major", "critical"], default="major")
    declare.add_argument("--eta", type=when, help="RFC 3339 or +90m / +2h")
    declare.add_argument("--summary")
    declare.add_argument("--label", action="append", dest="labels", help="key=value")
    declare.add_argument(
        "--holdout-percent", type=float, help="share held out to measure deflection (0-50)"
    )
    declare.add_argument("--json", action="store_true")
    declare.set_defaults(handler=_declare)

    update = verbs.add_parser("update", help="new ETA, status, note or segments")
    update.add_argument("id")
    update.add_argument("--eta", type=when)
    update.add_argument("--status", choices=["investigating", "identified", "monitoring"])
    update.add_argument("--note")
    update.add_argument(
        "--segment", action="append", dest="segments", help="replaces the segments; repeat"
    )
    update.add_argument("--json", action="store_true")
    update.set_defaults(handler=_update)

    for name, help_text in (("confirm", "confirm a pending incident"), ("cancel", "false alarm")):
        verb = verbs.add_parser(name, help=help_text)
        verb.add_argument("id")
        verb.add_argument("--note")
        verb.add_argument("--json", action="store_true")
        verb.set_defaults(handler=_simple_verb, verb_name=name)

    resolve = verbs.add_parser("resolve", help="service restored")
    resolve.add_argument("id")
    resolve.add_argument("--note")
    resolve.add_argument("--resolved-at", type=when)
    resolve.add_argument("--json", action="store_true")
    resolve.set_defaults(handler=_resolve)

    show = verbs.add_parser("show", help="one incident with its audit trail and broadcasts")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)

    listing = verbs.add_parser("list", help="newest incidents first")
    listing.add_argument("--status", help="comma-separated statuses")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)

    report = sub.add_parser("report", help="an incident's delivery, voucher and deflection report")
    report.add_argument("id")
    report.add_argument("--json", action="store_true")
    report.add_argument("--chart", type=Path, metavar="FILE", help="also write the chart (SVG)")
    report.set_defaults(handler=_report)


def _run(settings: Settings, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return asyncio.run(call(settings, method, path, body))


def _print_incident(incident: dict[str, Any], as_machine: bool) -> int:
    if as_machine:
        as_json(incident)
        return 0
    rows = [(k, incident.get(k)) for k in ("id", "status", "title", "severity", "eta")]
    rows += [(k, incident.get(k)) for k in ("started_at", "resolved_at", "segments", "source")]
    table(["field", "value"], rows)
    return 0


def _declare(args: argparse.Namespace, settings: Settings) -> int:
    body: dict[str, Any] = {"title": args.title, "severity": args.severity}
    body["segments"] = args.segments
    if args.eta:
        body["eta"] = args.eta
    if args.summary:
        body["summary"] = args.summary
    if args.labels:
        body["labels"] = labels(args.labels)
    if args.holdout_percent is not None:
        body["holdout_percent"] = args.holdout_percent
    return _print_incident(_run(settings, "POST", "/api/v1/incidents", body), args.json)


def _update(args: argparse.Namespace, settings: Settings) -> int:
    given = (("eta", args.eta), ("status", args.status), ("note", args.note))
    body: dict[str, Any] = {k: v for k, v in given if v}
    if args.segments:
        body["segments"] = args.segments
    path = f"/api/v1/incidents/{args.id}/updates"
    return _print_incident(_run(settings, "POST", path, body), args.json)


def _simple_verb(args: argparse.Namespace, settings: Settings) -> int:
    body = {"note": args.note} if args.note and args.verb_name == "cancel" else {}
    path = f"/api/v1/incidents/{args.id}/{args.verb_name}"
    return _print_incident(_run(settings, "POST", path, body), args.json)


def _resolve(args: argparse.Namespace, settings: Settings) -> int:
    body = {k: v for k, v in (("note", args.note), ("resolved_at", args.resolved_at)) if v}
    path = f"/api/v1/incidents/{args.id}/resolve"
    return _print_incident(_run(settings, "POST", path, body), args.json)


def _show(args: argparse.Namespace, settings: Settings) -> int:
    incident = _run(settings, "GET", f"/api/v1/incidents/{args.id}")
    if args.json:
        as_json(incident)
        return 0
    _print_incident(incident, False)
    print()
    table(
        ["broadcast", "kind", "status", "recipients", "sent", "delivered", "failed"],
        [_broadcast_row(b) for b in incident.get("broadcasts", [])],
    )
    print()
    table(
        ["at", "actor", "source", "action"],
        [(a["at"], a["actor"], a["source"], a["action"]) for a in incident.get("audit", [])],
    )
    signals = incident.get("signals", [])
    if signals:
        print()
        table(
            ["received_at", "source", "state", "started_at", "title"],
            [
                (s["received_at"], s["source"], s["state"], s["started_at"], s["title"])
                for s in signals
            ],
        )
    return 0


SHOWN = ("sent", "delivered", "failed")


def _broadcast_row(b: dict[str, Any]) -> tuple[Any, ...]:
    p = b["progress"]
    return (b["id"], b["kind"], b["status"], b["recipients"], *(p[k] for k in SHOWN))


def _list(args: argparse.Namespace, settings: Settings) -> int:
    query = f"?limit={args.limit}" + (f"&status={args.status}" if args.status else "")
    incidents = _run(settings, "GET", f"/api/v1/incidents{query}")["incidents"]
    if args.json:
        as_json(incidents)
        return 0
    table(
        ["id", "status", "severity", "title", "started_at", "eta"],
        [
            (i["id"], i["status"], i["severity"], i["title"], i["started_at"], i["eta"])
            for i in incidents
        ],
    )
    return 0


def _report(args: argparse.Namespace, settings: Settings) -> int:
    report = _run(settings, "GET", f"/api/v1/incidents/{args.id}/report")
    if args.chart:
        args.chart.write_text(render_svg(report), encoding="utf-8")
    if args.json:
        as_json(report)
        return 0
    print_report(report)
    return 0


def print_report(report: dict[str, Any]) -> None:
    incident, audience = report["incident"], report["audience"]
    print(f"{incident['id']}  {incident['status']}  {incident['title']}")
    print(
        f"audience: {audience['affected']} affected, {audience['notified']} notified, "
        f"{audience['holdout']} held out"
    )
    table(
        ["kind", "queued", "sent", "delivered", "read", "failed"],
        [
            (kind, m["queued"], m["sent"], m["delivered"], m["read"], m["failed"])
            for kind, m in report["messages"].items()
            if any(m.values())
        ],
    )
    eta = report.get("eta") or {}
    if eta.get("first_told"):
        print(f"first ETA told: {eta['first_told']} ({eta['kept']})")
    vouchers = report.get("vouchers") or {}
    if vouchers.get("issued") or vouchers.get("pending"):
        print(
            f"vouchers: {vouchers['issued']} issued, {vouchers['pending']} pending, "
            f"{vouchers['delivered']} delivered, {vouchers['total_value']:g} {vouchers['currency']}"
        )
    follow = report.get("follow_up") or {}
    if follow.get("answered_ok") or follow.get("answered_down"):
        csat = follow["csat"]
        score = "-" if csat["average"] is None else f"{csat['average']}/5 ({csat['answers']})"
        print(
            f"follow-up: {follow['answered_ok']} working, {follow['answered_down']} still "
            f"broken ({len(follow['cases'])} cases), satisfaction {score}"
        )
    cost = report.get("cost") or {}
    if cost.get("estimated") or cost.get("actual"):
        print(f"cost: {cost['actual']:g} {cost['currency']} ({cost['estimated']:g} estimated)")
    if report.get("deflection"):
        print_deflection(report["deflection"])


def _rate(group: dict[str, Any] | None) -> str:
    if not group or group.get("per_1000") is None:
        return "-"
    low, high = group["ci"]
    return f"{group['per_1000']:g} per 1,000 (95% CI {low:g}-{high:g})"


def print_deflection(d: dict[str, Any]) -> None:
    print()
    print(f"deflection: {d['label']}")
    baseline = d.get("baseline")
    rows = [
        ("notified", d["notified"]["customers"], d["notified"]["contacting"], _rate(d["notified"])),
        ("holdout", d["holdout"]["customers"], d["holdout"]["contacting"], _rate(d["holdout"])),
    ]
    if baseline:
        rows.append(("baseline", baseline["customers"], baseline["contacting"], _rate(baseline)))
    table(["group", "customers", "contacting", "rate"], rows)
    deflected, cost = d.get("deflected"), d.get("cost_saved")
    if deflected:
        low, high = deflected["ci"]
        print(f"contacts deflected: {deflected['estimate']:g} (95% CI {low:g} to {high:g})")
    if cost:
        print(f"cost saved: {cost['estimate']:g} {cost['currency']}")
    print(f"answered automatically: {d['answered_automatically']}")
