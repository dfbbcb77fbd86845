"""``python -m broadcaster.simulator``: run the simulator on its own (see docs/simulator.md).

The ``broadcaster simulator`` command builds the same config from ``config.toml``; this
entry point takes flags instead, for use outside a project checkout.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from pathlib import Path

from broadcaster.logs import setup_logging
from broadcaster.simulator.catalog import load_templates_json
from broadcaster.simulator.config import SimulatorConfig
from broadcaster.simulator.server import serve_forever

_DEFAULTS = SimulatorConfig()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m broadcaster.simulator",
        description="A local WhatsApp Cloud API for tests and demos. Never expose it.",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1")
    add("--port", type=int, default=8090)
    add("--templates", type=Path, help="JSON list of approved templates")
    add("--webhook-url", help="where signed webhooks are posted (default: none)")
    add("--messages-per-second", type=int, default=_DEFAULTS.messages_per_second)
    add("--throttle-http-status", type=int, choices=(400, 429), default=400)
    add("--pair-interval", type=float, default=_DEFAULTS.pair_interval_s, help="seconds")
    add("--access-token", default=_DEFAULTS.access_token)
    add("--app-secret", default=_DEFAULTS.app_secret)
    add("--waba-id", default=_DEFAULTS.waba_id)
    add("--phone-number-id", action="append", dest="phone_number_ids")
    add("--seed", type=int)
    add("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> SimulatorConfig:
    return SimulatorConfig(
        access_token=args.access_token,
        app_secret=args.app_secret,
        waba_id=args.waba_id,
        phone_number_ids=tuple(args.phone_number_ids or _DEFAULTS.phone_number_ids),
        templates=load_templates_json(args.templates) if args.templates else (),
        messages_per_second=args.messages_per_second,
        throttle_http_status=args.throttle_http_status,
        pair_interval_s=args.pair_interval,
        webhook_url=args.webhook_url,
        seed=args.seed,
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    setup_logging(args.log_level, "console", secrets=[args.access_token, args.app_secret])
    asyncio.run(serve_forever(config_from(args), args.host, args.port))


if __name__ == "__main__":
    main()
