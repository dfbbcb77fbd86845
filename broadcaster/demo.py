"""``broadcaster demo``: the whole story on one machine, no WhatsApp account needed.

Redis (the configured one if it answers, else a private redis-server), the Cloud API simulator,
the HTTP server and a worker run in this process. A CRM export is imported (with the bad rows
every real export has), an outage arrives as Alertmanager's webhook, the notice goes out under
the real pacing while a holdout is kept back, customers ask on WhatsApp and are answered, the
commander moves the ETA twice, the alert resolves, vouchers follow the resolution, a follow-up
asks a day later, and a summary prints what customers got and what it prevented.

Hours of an outage pass in seconds: the service runs on a shifted clock the demo moves forward
(compensation, ETAs and "a day later" are real durations on that clock), and the few timers
arq runs on real time are shortened (``demo_settings``).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import secrets
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from broadcaster.adapters.redis_connection import connect
from broadcaster.clock import ShiftedClock, monotonic, utc_now
from broadcaster.config import Settings
from broadcaster.demo_data import sample_customers, write_customer_csv
from broadcaster.domain.compensation import format_money
from broadcaster.domain.customers import Customer
from broadcaster.domain.timefmt import format_rfc3339, parse_rfc3339
from broadcaster.local_stack import LocalStack, local_stack
from broadcaster.services.customer_import import import_customers
from broadcaster.simulator import SimulatorConfig
from broadcaster.typed_config import Secret

DEMO_NUMBERS = ("1000000000001", "1000000000002")
CUSTOMERS = 2000
JAKARTA = ZoneInfo("Asia/Jakarta")
OUTAGE_STARTS = time(9, 0)  # local time the demo's clock starts at: no quiet hours in the way
LABELS = {"alertname": "FiberLinkDown", "region": "jkt-selatan", "service": "fiber"}
ANNOTATIONS = {
    "summary": "Fiber link down in Jakarta Selatan",
    "customer_impact": "Gangguan internet fiber",
}
Say = Callable[[str], None]
NEVER = datetime.min.replace(tzinfo=UTC)
ALERTMANAGER_TOKEN = Secret(secrets.token_urlsafe(24))
ARQ_KEYS = ("job", "result", "in-progress", "retry")  # arq's per-job keys (ids namespaced)


def demo_settings(settings: Settings) -> Settings:
    """Real-time timers shortened; everything measured on the clock keeps its real value."""

    def tuned(section: str, **values: Any) -> Any:
        return dataclasses.replace(getattr(settings, section), **values)

    intake = settings.intake
    receivers = {  # every intake webhook authenticated, as in production
        "alertmanager": dataclasses.replace(intake.alertmanager, bearer_token=ALERTMANAGER_TOKEN),
        "grafana": dataclasses.replace(intake.grafana, bearer_token=_random_secret()),
        "pagerduty": dataclasses.replace(intake.pagerduty, signing_secret=_random_secret()),
        "statuspage": dataclasses.replace(intake.statuspage, token=_random_secret()),
    }
    return dataclasses.replace(
        settings,
        intake=tuned("intake", evaluate_every=timedelta(seconds=1), **receivers),
        whatsapp=tuned("whatsapp", pair_interval=timedelta(seconds=1)),
        # a 10% holdout, also on critical outages: the deflection estimate needs one
        broadcast=tuned("broadcast", holdout_percent=10.0, holdout_on_critical=True),
        cadence=tuned("cadence", coalesce=timedelta(seconds=2), min_interval=timedelta(0)),
        followup=tuned("followup", after=timedelta(seconds=2)),
        worker=tuned("worker", max_defer=timedelta(seconds=1)),
    )


def _random_secret() -> Secret:
    return Secret(secrets.token_urlsafe(24))


def demo_simulator() -> SimulatorConfig:
    """A realistic Meta: 2 numbers, most messages delivered, some read, a few unreachable."""
    unreachable = frozenset(f"62812{i:07d}" for i in (4, 52, 100, 1204))
    return SimulatorConfig(
        phone_number_ids=DEMO_NUMBERS,
        delivered_ratio=0.97,
        read_ratio=0.6,
        status_delay_s=(0.02, 0.3),
        undeliverable_numbers=unreachable,
        pair_interval_s=1.0,  # Meta's 6 s per customer, compressed like the rest of the demo
        seed=7,
    )


def alert(starts: datetime, ends: datetime | None = None) -> dict[str, Any]:
    """Alertmanager's webhook body (version 4) for the demo's one alert."""
    status = "resolved" if ends else "firing"
    return {
        "version": "4",
        "receiver": "outage-broadcaster",
        "status": status,
        "groupKey": '{}:{alertname="FiberLinkDown"}',
        "truncatedAlerts": 0,
        "groupLabels": {"alertname": "FiberLinkDown"},
        "commonLabels": {**LABELS, "severity": "critical"},
        "commonAnnotations": ANNOTATIONS,
        "externalURL": "http://alertmanager.example:9093",
        "alerts": [
            {
                "status": status,
                "labels": {**LABELS, "severity": "critical"},
                "annotations": ANNOTATIONS,
                "startsAt": format_rfc3339(starts),
                "endsAt": format_rfc3339(ends) if ends else "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example:9090/graph",
                "fingerprint": "c0ffee1234567890",
            }
        ],
    }


@contextlib.asynccontextmanager
async def isolated(settings: Settings, redis_url: str) -> AsyncIterator[Settings]:
    """On a Redis we did not start, use a key prefix of our own and remove only our keys."""
    if not settings.redis.url_was_set and redis_url != settings.redis.url:
        yield settings  # our private server: it goes away with us
        return
    prefix = f"obdemo-{uuid.uuid4().hex[:8]}"
    redis_settings = dataclasses.replace(
        settings.redis, key_prefix=prefix, queue_name=f"{prefix}:queue"
    )
    try:
        yield dataclasses.replace(settings, redis=redis_settings)
    finally:
        redis = connect(redis_settings, redis_url)
        try:
            for pattern in (f"{prefix}:*", *(f"arq:{kind}:{prefix}:*" for kind in ARQ_KEYS)):
                async for key in redis.scan_iter(match=pattern, count=1000):
                    await redis.unlink(key)
        finally:
            await redis.aclose()


def morning_clock() -> ShiftedClock:
    """Today, 09:00 in Jakarta."""
    today = utc_now().astimezone(JAKARTA).date()
    return ShiftedClock(datetime.combine(today, OUTAGE_STARTS, tzinfo=JAKARTA).astimezone(UTC))


async def run_demo(settings: Settings, redis_url: str, out: TextIO = sys.stdout) -> int:
    started = monotonic()
    clock = morning_clock()

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    customers = sample_customers(CUSTOMERS)
    with tempfile.TemporaryDirectory(prefix="broadcaster-demo-") as scratch:
        async with (
            isolated(demo_settings(settings), redis_url) as demo,
            local_stack(demo, redis_url, demo_simulator(), clock=clock) as stack,
        ):
            story = Story(stack, clock, say, customers)
            await story.import_customers(Path(scratch) / "crm-export.csv")
            stack.start_worker()
            incident_id = await story.outage()
            await story.questions(incident_id)
            await story.eta_moves(incident_id)
            await story.contacts()
            await story.resolution(incident_id)
            await story.follow_up(incident_id)
            story.summary(await stack.report(incident_id))
    say(f"elapsed     {monotonic() - started:.1f} s (the outage's hours pass on a shifted clock)")
    return 0


@dataclasses.dataclass
class Story:
    stack: LocalStack
    clock: ShiftedClock
    say: Say
    customers: list[Customer]
    fired_at: datetime = NEVER
    asked: int = 0

    def local(self, when: datetime | str | None) -> str:
        moment = parse_rfc3339(when) if isinstance(when, str) else when
        return "-" if moment is None else moment.astimezone(JAKARTA).strftime("%H:%M WIB")

    async def import_customers(self, path: Path) -> None:
        await asyncio.to_thread(write_customer_csv, path, self.customers)
        deps = self.stack.deps
        report = await import_customers(deps.redis, deps.keys, self.stack.settings, path)
        rejects = Path(report.rejects_path)
        text = await asyncio.to_thread(rejects.read_text, encoding="utf-8")
        line, customer_id, reason = next(csv.reader(text.splitlines()[1:]))[:3]
        self.say(
            f"customers   {report.created} imported from a CRM export, {report.rejected} "
            f"rejected into {rejects.name} (line {line}, {customer_id}: {reason})"
        )

    async def post_alert(self, body: dict[str, Any]) -> None:
        """As Alertmanager's webhook receiver does (http_config.authorization)."""
        headers = {"Authorization": f"Bearer {ALERTMANAGER_TOKEN.reveal()}"}
        url = self.stack.api_url + "/webhooks/alertmanager"
        async with self.stack.session.post(url, json=body, headers=headers) as response:
            if response.status >= 400:
                raise RuntimeError(f"alertmanager webhook: {response.status}")

    async def outage(self) -> str:
        """Alertmanager reports the alert (firing for 3 minutes); intake declares."""
        self.fired_at = self.clock() - timedelta(minutes=3)
        await self.post_alert(alert(self.fired_at))

        async def declared() -> dict[str, Any] | None:
            found = (await self.stack.call("GET", "/api/v1/incidents"))["incidents"]
            return found[0] if found else None

        incident = await self.stack.wait_for(declared)
        self.say(
            f"incident    {incident['id']} declared from Alertmanager alert "
            f"{LABELS['alertname']} ({incident['severity']}, firing since "
            f'{self.local(self.fired_at)}): "{incident["title"]}"'
        )
        report = await self.settled(incident["id"], "notice")
        audience, notice = report["audience"], report["messages"]["notice"]
        tiers = ", ".join(f"{t} {n}" for t, n in audience["by_tier"].items() if n)
        self.say(
            f"audience    {audience['affected']} affected, {audience['notified']} notified "
            f"({tiers}), {audience['holdout']} held out to measure deflection"
        )
        broadcast = next(b for b in report["broadcasts"] if b["kind"] == "notice")
        self.say(
            f"notice      sent {notice['sent']}, delivered {notice['delivered']}, read "
            f"{notice['read']}, failed {notice['failed']}; {lead_times(report, broadcast)}"
        )
        return str(incident["id"])

    async def questions(self, incident_id: str) -> None:
        """A few notified customers ask on WhatsApp; the service answers them itself."""
        sim = self.stack.sim.simulator
        notified = sorted({m.to for m in sim.accepted if m.template_name == "outage_notice"})
        for wa_id in notified[::60]:
            await sim.inject_inbound(wa_id, text="Kapan internet saya pulih?")
        self.asked = len(notified[::60])

        async def answered() -> dict[str, Any] | None:
            report = await self.stack.report(incident_id)
            return report if report["messages"]["reply"]["sent"] >= self.asked else None

        report = await self.stack.wait_for(answered)
        self.say(
            f"questions   {self.asked} customers asked on WhatsApp, "
            f"{report['messages']['reply']['sent']} answered automatically with the status"
        )

    async def eta_moves(self, incident_id: str) -> None:
        """40 minutes in, the commander gives an ETA, then corrects it seconds later."""
        self.clock.advance(timedelta(minutes=40))
        path = f"/api/v1/incidents/{incident_id}/updates"
        for hour, minute in ((12, 0), (12, 30)):
            eta = self.at(hour, minute)
            await self.stack.call("POST", path, {"eta": format_rfc3339(eta)})
        report = await self.settled(incident_id, "update")
        update = report["messages"]["update"]
        self.say(
            f"update      ETA changed twice in a second -> one update to {update['sent']} "
            f"customers: restored by {self.local(report['eta']['first_told'])} "
            f"(commander said 12:30, padded and rounded up)"
        )

    async def resolution(self, incident_id: str) -> None:
        """At 11:48 the alert resolves; intake resolves after resolve_after."""
        resolved_at = self.at(11, 48)
        self.clock.advance(resolved_at - self.clock())
        await self.post_alert(alert(self.fired_at, resolved_at))
        self.clock.advance(self.stack.settings.intake.resolve_after + timedelta(seconds=30))
        await self.settled(incident_id, "resolution")
        report = await self.settled(incident_id, "voucher")
        vouchers, incident = report["vouchers"], report["incident"]
        began, ended = parse_rfc3339(incident["started_at"]), parse_rfc3339(incident["resolved_at"])
        duration = ended - began if began and ended else timedelta(0)
        kept = {"kept": "kept", "missed": "missed", "none": "not given"}[report["eta"]["kept"]]
        self.say(
            f"resolved    at {self.local(incident['resolved_at'])} after "
            f"{hours_minutes(duration)}; the ETA customers were told was {kept}; "
            f"resolution sent {report['messages']['resolution']['sent']} (holdout included)"
        )
        money = format_money(Decimal(str(vouchers["total_value"])), vouchers["currency"], 0)
        self.say(
            f"vouchers    {vouchers['issued']} issued worth {money}, "
            f"{vouchers['delivered']} delivered; {self.by_tier(incident_id)}"
        )

    async def follow_up(self, incident_id: str) -> None:
        """A day later: is everything working again? Three customers answer."""
        self.clock.advance(timedelta(hours=24))
        await self.settled(incident_id, "follow_up")
        sim = self.stack.sim.simulator
        asked = sorted({m.to for m in sim.accepted if m.template_name == "outage_follow_up"})
        answers = [("ok", "Sudah normal"), ("ok", "Sudah normal"), ("down", "Masih bermasalah")]
        before = texts_to(sim.accepted, asked[0])
        for wa_id, (answer, text) in zip(asked, answers, strict=False):
            await sim.inject_inbound(
                wa_id, button_payload=f"FU:{incident_id}:{answer}", button_text=text
            )
        satisfied = asked[0]

        async def csat_asked() -> bool:
            return texts_to(sim.accepted, satisfied) > before  # thanks, and the 1-5 question

        await self.stack.wait_for(csat_asked)
        await sim.inject_inbound(satisfied, text="5")

        async def recorded() -> dict[str, Any] | None:
            report = await self.stack.report(incident_id)
            follow = report["follow_up"]
            done = follow["csat"]["answers"] and follow["answered_down"]
            return report if done else None

        report = await self.stack.wait_for(recorded)
        follow = report["follow_up"]
        self.say(
            f"follow-up   a day later to {report['messages']['follow_up']['sent']}: "
            f"{follow['answered_ok']} say it works, {follow['answered_down']} still broken "
            f"({len(follow['cases'])} case opened), satisfaction {follow['csat']['average']}/5"
        )

    async def contacts(self) -> None:
        """The call centre reports who phoned this morning (the holdout phoned more)."""
        sim = self.stack.sim.simulator
        notified = {m.to for m in sim.accepted if m.template_name == "outage_notice"}
        eligible = [c for c in self.customers if in_outage(c)]
        holdout = [c for c in eligible if c.wa_id not in notified]
        told = [c for c in eligible if c.wa_id in notified]
        callers = holdout[::3] + told[::25]
        at = format_rfc3339(self.at(9, 20))
        contacts = [
            {"channel": "voice", "customer_id": c.customer_id, "time": at, "id": f"CALL-{i}"}
            for i, c in enumerate(callers)
        ]
        await self.stack.call("POST", "/api/v1/contacts", {"contacts": contacts})

    def summary(self, report: dict[str, Any]) -> None:
        d = report["deflection"]
        self.say(f"contacts    notified: {rate(d['notified'])}; held out: {rate(d['holdout'])}")
        deflected = d.get("deflected")
        if deflected:
            low, high = deflected["ci"]
            self.say(
                f"deflection  {deflected['estimate']:g} contacts prevented "
                f"(95% CI {low:g} to {high:g}, {d['label']})"
            )
        self.say(f"simulator   accepted {len(self.stack.sim.simulator.accepted)} messages")

    def at(self, hour: int, minute: int) -> datetime:
        """Today (on the demo's clock) at ``hour:minute`` in Jakarta."""
        day = self.clock().astimezone(JAKARTA).date()
        return datetime.combine(day, time(hour, minute), tzinfo=JAKARTA).astimezone(UTC)

    def by_tier(self, incident_id: str) -> str:
        tiers = {c.wa_id: c.tier for c in self.customers}
        values: dict[str, str] = {}
        for message in self.stack.sim.simulator.accepted:
            if message.template_name == "outage_voucher":
                values.setdefault(tiers[message.to], message.params[1])
        order = self.stack.settings.tiers.order
        return ", ".join(f"{t} {values[t]}" for t in order if t in values)

    async def settled(self, incident_id: str, kind: str) -> dict[str, Any]:
        return await settled(self.stack, incident_id, kind)


async def settled(stack: LocalStack, incident_id: str, kind: str) -> dict[str, Any]:
    """The report once the incident's ``kind`` broadcasts are done and their statuses in."""

    async def done() -> bool:
        report = await stack.report(incident_id)
        matching = [b for b in report["broadcasts"] if b["kind"] == kind]
        return bool(matching) and all(b["status"] == "done" for b in matching)

    await stack.wait_for(done, limit=120)
    await stack.sim.simulator.wait_webhooks_idle()
    return await stack.report(incident_id)


def texts_to(messages: list[Any], wa_id: str) -> int:
    return sum(1 for m in messages if m.to == wa_id and m.type == "text")


def in_outage(customer: Customer) -> bool:
    """The demo's outage: fiber in Jakarta Selatan, customers who agreed to be messaged."""
    scope = {k: v for k, v in LABELS.items() if k != "alertname"}
    return customer.opt_in and all(customer.attributes.get(k) == v for k, v in scope.items())


def rate(group: dict[str, Any]) -> str:
    per_1000 = group.get("per_1000")
    shown = "-" if per_1000 is None else f"{per_1000:g} per 1000"
    return f"{group['contacting']} of {group['customers']} contacted us ({shown})"


def hours_minutes(duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def lead_times(report: dict[str, Any], broadcast: dict[str, Any]) -> str:
    declared = parse_rfc3339(report["incident"].get("declared_at"))
    declared = declared or parse_rfc3339(report["incident"]["started_at"])
    parts = []
    for label, key in (("first message", "first_at"), ("95%", "p95_at")):
        at = parse_rfc3339(broadcast.get(key))
        if declared and at:
            parts.append(f"{label} {(at - declared).total_seconds():.1f} s")
    return ", ".join(parts) + " after the declaration"
