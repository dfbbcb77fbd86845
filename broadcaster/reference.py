"""Reference pages generated from the code, so they cannot drift from it.

- ``docs/metrics.md``: the block between the ``GENERATED`` markers is the metric catalogue,
  read from the registries of ``broadcaster.metrics``.
- ``docs/configuration.md``: every key of ``config.toml`` with its default, its environment
  variable and the comment above it, plus the secrets, read from the ``Settings`` dataclasses.

``python -m broadcaster.reference`` rewrites both; ``--check`` exits 1 when a committed page
differs from what the code says (the test suite makes the same comparison).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_type_hints

from prometheus_client import CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase

from broadcaster import metrics
from broadcaster.config import ENV_PREFIX, Settings
from broadcaster.typed_config import Secret

BEGIN = "<!-- BEGIN GENERATED: python -m broadcaster.reference -->"
END = "<!-- END GENERATED -->"
SERVED_BY = (
    ("both", metrics.REGISTRY),
    ("server", metrics.STATE_REGISTRY),
    ("worker", metrics.WORKER_REGISTRY),
)
_SUFFIX = {"counter": "_total", "info": "_info"}


@dataclass(frozen=True, slots=True)
class MetricEntry:
    name: str  # as exposed (counters end in _total, info in _info)
    type: str
    labels: tuple[str, ...]
    help: str
    served_by: str


def metric_catalogue() -> list[MetricEntry]:
    """Every ``broadcaster_*`` metric of every registry, in declaration order."""
    declared = {
        next(iter(m.describe())).name: m
        for m in vars(metrics).values()
        if isinstance(m, MetricWrapperBase)
    }
    out = []
    for served_by, registry in SERVED_BY:
        for family in _families(registry):
            # a metric registered outside metrics.py fails here: declare it there
            labels: tuple[str, ...] = declared[family.name]._labelnames
            labels = labels or metrics.INFO_LABELS.get(family.name, ())
            name = family.name + _SUFFIX.get(family.type, "")
            out.append(MetricEntry(name, family.type, labels, family.documentation, served_by))
    return out


def _families(registry: CollectorRegistry) -> Iterator[Any]:
    for family in registry.collect():
        if family.name.startswith("broadcaster_"):
            yield family


def metrics_block() -> str:
    """The generated part of docs/metrics.md."""
    lines = [
        BEGIN,
        "",
        "| metric | type | labels | served by | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for entry in metric_catalogue():
        labels = ", ".join(f"`{label}`" for label in entry.labels) or "-"
        lines.append(
            f"| `{entry.name}` | {entry.type} | {labels} | {entry.served_by} | {entry.help} |"
        )
    lines += ["", "| label | values |", "| --- | --- |"]
    lines += [f"| `{name}` | {values} |" for name, values in sorted(metrics.LABELS.items())]
    lines += ["", END]
    return "\n".join(lines)


def replace_block(page: str, block: str) -> str:
    """``page`` with its generated block replaced by ``block``."""
    start, end = page.index(BEGIN), page.index(END) + len(END)
    return page[:start] + block + page[end:]


# --- configuration ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ConfigEntry:
    section: str
    key: str
    default: str
    env: str
    comment: str


_HEADER = re.compile(r"^(\[\[?)([a-z_.]+)\]\]?\s*$")
_KEY = re.compile(r"^([a-z_]+)\s*=")


def env_name(section: str, key: str) -> str:
    """``("intake.grafana", "api_url")`` -> ``BROADCASTER_INTAKE__GRAFANA__API_URL``."""
    return ENV_PREFIX + "__".join(part.upper() for part in [*section.split("."), key])


def config_sections(config_toml: str) -> list[str]:
    """The ``[tables]`` of ``config.toml`` in file order (arrays of tables are keys)."""
    headers = (_HEADER.match(line.strip()) for line in config_toml.splitlines())
    return [h.group(2) for h in headers if h and h.group(1) == "["]


def config_entries(config_toml: str) -> list[ConfigEntry]:
    """Keys of ``config.toml`` in file order, each with the comment lines right above it.

    A comment covers the keys right below it up to a blank line ("see `first`"). An array of
    tables (``[[policy.segments]]``) is one key of its parent table, with its whole list.
    """
    values = tomllib.loads(config_toml)
    out: list[ConfigEntry] = []
    comment: list[str] = []
    section, group, in_array = "", "", False
    for raw in config_toml.splitlines():
        line = raw.strip()
        if header := _HEADER.match(line):
            name, in_array = header.group(2), header.group(1) == "[["
            parent, _, key = name.rpartition(".")
            if not in_array:
                section = name
            elif (parent, key) not in {(e.section, e.key) for e in out}:
                out.append(_entry(values, parent, key, comment, ""))
            comment, group = [], ""
        elif line.startswith("#"):
            comment, group = [*comment, line.lstrip("#").strip()], ""
        elif (key_match := _KEY.match(line)) and section and not in_array:
            out.append(_entry(values, section, key_match.group(1), comment, group))
            comment, group = [], group or key_match.group(1)
        elif not line:
            comment, group = [], ""
    return out


def _entry(
    values: dict[str, Any], section: str, key: str, comment: list[str], group: str
) -> ConfigEntry:
    table = values
    for part in section.split("."):
        table = table[part]
    text = " ".join(comment) if comment else (f"see `{group}`" if group else "")
    return ConfigEntry(section, key, _show(table[key]), env_name(section, key), text)


def secret_fields(cls: Any = Settings, section: str = "") -> list[tuple[str, str]]:
    """``(section, key)`` of every secret: set in the environment or a file, never config.toml."""
    out: list[tuple[str, str]] = []
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if hints[f.name] is Secret and section:
            out.append((section, f.name))
        elif dataclasses.is_dataclass(hints[f.name]):
            out += secret_fields(hints[f.name], f"{section}.{f.name}" if section else f.name)
    return out


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'`"{value}"`'
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def configuration_page(config_toml: str, settings: Any = Settings) -> str:
    lines = [
        "# Configuration reference",
        "",
        "Generated from `config.toml` and `broadcaster/config.py` by "
        "`python -m broadcaster.reference`; a test fails when this page, the file's comments "
        "and the code disagree. Every key can be set in the file or overridden by its "
        "environment variable (lists: comma-separated or JSON; tables: JSON; durations: "
        '`"500ms"`, `"90s"`, `"15m"`, `"2h"`, `"1d"`). Another file: `--config PATH` or '
        "`BROADCASTER_CONFIG`.",
    ]
    entries = config_entries(config_toml)
    secrets = secret_fields(settings)
    for section in dict.fromkeys(config_sections(config_toml) + [s for s, _ in secrets]):
        lines += ["", f"## [{section}]", ""]
        lines += ["| key | default | environment variable | meaning |", "| --- | --- | --- | --- |"]
        for e in (e for e in entries if e.section == section):
            comment = e.comment.replace("|", "\\|")
            lines.append(f"| `{e.key}` | {e.default} | `{e.env}` | {comment} |")
        for key in (key for secret_section, key in secrets if secret_section == section):
            env = env_name(section, key)
            lines.append(
                f"| `{key}` | secret | `{env}` or `{env}_FILE` | "
                "never in the file; set in the environment or a file, never logged |"
            )
    return "\n".join(lines) + "\n"


# --- command line ----------------------------------------------------------------------------
def pages(root: Path) -> dict[Path, str]:
    """Each generated page's path and the content the code says it should have."""
    metrics_page = root / "docs" / "metrics.md"
    config_toml = (root / "config.toml").read_text(encoding="utf-8")
    return {
        metrics_page: replace_block(metrics_page.read_text(encoding="utf-8"), metrics_block()),
        root / "docs" / "configuration.md": configuration_page(config_toml),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m broadcaster.reference")
    parser.add_argument("--check", action="store_true", help="exit 1 if a page is out of date")
    parser.add_argument("--root", type=Path, default=Path())
    args = parser.parse_args(argv)
    stale = []
    for path, wanted in pages(args.root).items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != wanted:
            stale.append(path)
            if not args.check:
                path.write_text(wanted, encoding="utf-8")
    for path in stale:
        verb = "out of date" if args.check else "rewritten"
        sys.stderr.write(f"{path}: {verb}\n")
    return 1 if stale and args.check else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
