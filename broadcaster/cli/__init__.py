"""The CLI's commands; each module adds its subcommands to the parser."""

from __future__ import annotations

import argparse
from collections.abc import Callable

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def commands() -> list[Register]:
    from broadcaster.cli import (
        audience,
        commander,
        customers,
        demo,
        processes,
        segments,
        sending,
        templates,
        tokens,
        vouchers,
    )

    return [
        processes.register,
        demo.register,
        commander.register,
        templates.register,
        tokens.register,
        customers.register,
        segments.register,
        audience.register,
        vouchers.register,
        sending.register,
    ]
