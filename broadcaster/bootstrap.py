"""The composition root: build every adapter once and hand the services what they need.

``build_deps`` is shared by the HTTP server, the worker and the CLI. Nothing here runs at
import time; everything opened in ``build_deps`` is closed when its context exits.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from arq import create_pool
from arq.connections import ArqRedis

from broadcaster.adapters.audience import Audiences
from broadcaster.adapters.broadcast_store import BroadcastStore
from broadcaster.adapters.cadence_store import CadenceStore
from broadcaster.adapters.contact_log import ContactLog
from broadcaster.adapters.deliveries import DeliveryTimes
from broadcaster.adapters.directory import Directory
from broadcaster.adapters.follow_up_store import FollowUpStore
from broadcaster.adapters.holds import Holds
from broadcaster.adapters.inbound_records import InboundRecords
from broadcaster.adapters.incident_store import IncidentStore
from broadcaster.adapters.job_queue import ArqQueue
from broadcaster.adapters.keys import Keys
from broadcaster.adapters.rate_limiter import Pacers, PairTurns
from broadcaster.adapters.redis_connection import Redis, arq_settings, connect
from broadcaster.adapters.segment_files import load_segments
from broadcaster.adapters.template_files import load_catalog
from broadcaster.adapters.template_status import TemplateStatuses
from broadcaster.adapters.voucher_issuers import BuiltinIssuer, HttpIssuer, VoucherIssuer
from broadcaster.adapters.voucher_store import VoucherStore
from broadcaster.adapters.whatsapp import CloudApi
from broadcaster.clock import Clock, utc_now
from broadcaster.config import Settings
from broadcaster.domain.segments import Segment
from broadcaster.errors import ConfigError
from broadcaster.policies import cadence_policy, compensation_policy, price_table
from broadcaster.rendering import Renderer
from broadcaster.replies import ReplyBook, load_replies
from broadcaster.services.customer_rules import index_policy, known_attributes
from broadcaster.services.in_flight import InFlight
from broadcaster.services.incidents import IncidentService, Timings
from broadcaster.services.milestones import Milestones
from broadcaster.services.planning import Planner
from broadcaster.services.sending import SendingDeps
from broadcaster.services.template_check import check_offline, required_kinds, sample_context
from broadcaster.services.vouchers import VoucherService

# answers a customer may get back to back before waiting their pair-rate turn (Meta: 45)
ANSWER_BURST = 5


@dataclass
class Deps:
    """Everything a process needs, built once at start-up."""

    settings: Settings
    clock: Clock
    redis: Redis
    arq: ArqRedis
    queue: ArqQueue
    keys: Keys
    http: aiohttp.ClientSession
    cloud: CloudApi
    directory: Directory
    audiences: Audiences
    incident_store: IncidentStore
    broadcasts: BroadcastStore
    holds: Holds
    pacers: Pacers
    pair_turns: PairTurns  # answers' share of Meta's pair rate
    segments: dict[str, Segment]
    renderer: Renderer
    incidents: IncidentService
    planner: Planner
    sending: SendingDeps
    # inbound replies and deflection
    replies: ReplyBook
    contacts: ContactLog
    deliveries: DeliveryTimes
    inbound_records: InboundRecords
    voucher_store: VoucherStore
    vouchers: VoucherService
    follow_ups: FollowUpStore


def voucher_issuer(settings: Settings, http: aiohttp.ClientSession) -> VoucherIssuer:
    v = settings.vouchers
    if v.issuer == "http":
        return HttpIssuer(
            http, v.provider_url, v.provider_token, v.provider_timeout.total_seconds()
        )
    return BuiltinIssuer()


def load_assets(settings: Settings, root: Path = Path()) -> tuple[dict[str, Segment], Renderer]:
    """Segments and templates from disk; a broken file stops the process at start."""
    segments, segment_problems = load_segments(
        root / settings.paths.segments, known_attributes(settings)
    )
    catalog, template_problems = load_catalog(root / settings.paths.templates)
    app = settings.app
    renderer = Renderer(catalog, app.default_language)
    problems = segment_problems + template_problems
    if not template_problems:  # renders each template as its kind of message would be filled
        required = required_kinds(settings.compensation.enabled, settings.followup.enabled)
        problems += check_offline(
            catalog, renderer, app.default_language, app.business_name, required
        )
    if problems:
        raise ConfigError(problems)
    return segments, renderer


def load_reply_book(settings: Settings, root: Path = Path()) -> ReplyBook:
    """The free-form answers; a broken file stops the process at start."""
    app = settings.app
    book, problems = load_replies(root / settings.paths.replies, app.default_language)
    problems += book.check(lambda language: sample_context(language, app.business_name))
    if problems:
        raise ConfigError(problems)
    return book


@contextlib.asynccontextmanager
async def build_deps(
    settings: Settings, redis_url: str | None = None, clock: Clock = utc_now
) -> AsyncIterator[Deps]:
    segments, renderer = load_assets(settings)
    replies = load_reply_book(settings)
    keys = Keys(settings.redis.key_prefix)
    redis = connect(settings.redis, redis_url)
    arq = await create_pool(arq_settings(settings.redis, redis_url))
    wa = settings.whatsapp
    connector = aiohttp.TCPConnector(limit=wa.max_in_flight, ttl_dns_cache=300)
    timeout = aiohttp.ClientTimeout(total=wa.request_timeout.total_seconds())
    http = aiohttp.ClientSession(connector=connector, timeout=timeout)
    # The Cloud API has a pool of its own: sends never queue behind a voucher provider or a
    # feed poll, and no cookie jar is consulted on every request (Graph sets none we need).
    cloud_http = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=wa.max_in_flight, ttl_dns_cache=300),
        timeout=timeout,
        cookie_jar=aiohttp.DummyCookieJar(),
    )
    try:
        queue = ArqQueue(arq, settings.redis.queue_name, settings.redis.key_prefix)
        cloud = CloudApi(
            cloud_http, wa.api_base_url, wa.api_version, wa.access_token, timeout.total or 30
        )
        incident_store = IncidentStore(redis, keys)
        broadcasts = BroadcastStore(redis, keys)
        directory = Directory(redis, keys, index_policy(settings))
        audiences = Audiences(redis, keys, settings.tiers.order)
        holds = Holds(redis, keys)
        rates = {k: v * wa.rate_safety for k, v in wa.per_number_rate.items()}
        pacers = Pacers(redis, keys, rates, wa.messages_per_second * wa.rate_safety)
        prices = price_table(settings)
        cadence = cadence_policy(settings)
        voucher_store = VoucherStore(redis, keys)
        deliveries = DeliveryTimes(redis, keys)
        planner = Planner(
            settings,
            clock,
            redis,
            keys,
            incident_store,
            broadcasts,
            audiences,
            segments,
            queue,
            renderer,
            prices,
            cadence,
        )
        sending = SendingDeps(
            settings=settings,
            clock=clock,
            keys=keys,
            broadcasts=broadcasts,
            directory=directory,
            incidents=incident_store,
            renderer=renderer,
            cloud=cloud,
            pacers=pacers,
            holds=holds,
            milestones=Milestones(broadcasts, incident_store, clock),
            queue=queue,
            prices=prices,
            cadence=cadence,
            cadence_store=CadenceStore(redis, keys),
            vouchers=voucher_store,
            template_statuses=TemplateStatuses(redis, keys),
            in_flight=InFlight(wa.max_in_flight),
        )
        vouchers = VoucherService(
            settings,
            clock,
            incident_store,
            directory,
            voucher_store,
            voucher_issuer(settings, http),
            compensation_policy(settings),
            planner,
            queue,
            deliveries,
        )
        timings = Timings(
            coalesce=cadence.coalesce,
            follow_up=settings.followup.after if settings.followup.enabled else None,
            vouchers=settings.compensation.enabled,
        )
        yield Deps(
            settings=settings,
            clock=clock,
            redis=redis,
            arq=arq,
            queue=queue,
            keys=keys,
            http=http,
            cloud=cloud,
            directory=directory,
            audiences=audiences,
            incident_store=incident_store,
            broadcasts=broadcasts,
            holds=holds,
            pacers=pacers,
            pair_turns=PairTurns(redis, keys, wa.pair_interval.total_seconds(), ANSWER_BURST),
            segments=segments,
            renderer=renderer,
            incidents=IncidentService(
                incident_store, queue, clock, lambda: list(segments), timings
            ),
            planner=planner,
            sending=sending,
            replies=replies,
            contacts=ContactLog(redis, keys, settings.deflection.retention),
            deliveries=deliveries,
            voucher_store=voucher_store,
            vouchers=vouchers,
            follow_ups=FollowUpStore(redis, keys),
            inbound_records=InboundRecords(redis, keys),
        )
    finally:
        await cloud_http.close()
        await http.close()
        await arq.aclose()
        await redis.aclose()
