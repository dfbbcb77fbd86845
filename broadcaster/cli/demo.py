"""``broadcaster demo`` and ``broadcaster simulator``: run things locally."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from broadcaster.adapters.template_files import load_catalog
from broadcaster.config import Settings
from broadcaster.embedded_redis import redis_for_run
from broadcaster.errors import ConfigError
from broadcaster.logs import setup_logging


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="the whole story locally, no WhatsApp account needed")
    demo.add_argument("--verbose", action="store_true", help="also print the service's logs")
    demo.set_defaults(handler=run_demo)
    simulator = sub.add_parser("simulator", help="the WhatsApp Cloud API simulator on its own")
    simulator.add_argument("--host", help="override [simulator] host")
    simulator.add_argument("--port", type=int, help="override [simulator] port")
    simulator.add_argument("--no-webhooks", action="store_true", help="post no status webhooks")
    simulator.set_defaults(handler=run_simulator)


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    from broadcaster import demo

    if not args.verbose:
        # the summary is the output; logs only when something is wrong
        setup_logging("WARNING", "console", settings.secrets())

    with redis_for_run(
        settings.redis.url, settings.redis.url_was_set, settings.redis.embedded
    ) as url:
        return asyncio.run(demo.run_demo(settings, url, sys.stdout))


def run_simulator(args: argparse.Namespace, settings: Settings) -> int:
    from broadcaster.simulator import SimulatorConfig, serve_forever
    from broadcaster.simulator.from_catalog import approved_templates

    catalog, problems = load_catalog(Path(settings.paths.templates))
    if problems:
        raise ConfigError(problems)
    wa, sim = settings.whatsapp, settings.simulator
    config = SimulatorConfig(
        templates=approved_templates(catalog),
        messages_per_second=sim.messages_per_second,
        pair_interval_s=sim.pair_interval.total_seconds(),
        webhook_url=None if args.no_webhooks else sim.webhook_url,
    )
    if wa.access_token:
        config.access_token = wa.access_token.reveal()
    if wa.app_secret:
        config.app_secret = wa.app_secret.reveal()
    if wa.phone_number_ids:
        config.phone_number_ids = tuple(wa.phone_number_ids)
    asyncio.run(serve_forever(config, args.host or sim.host, args.port or sim.port))
    return 0
