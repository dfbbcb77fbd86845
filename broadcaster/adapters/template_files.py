"""Read ``templates/<kind>/<language>.toml`` into a Catalog; problems name the file and key.

File format (see templates/README.md)::

    name = "outage_notice"            # the approved WhatsApp template name
    code = "id"                       # Meta's language code, default: the file name
    category = "UTILITY"
    header = "Gangguan {{1}}"         # optional TEXT header
    header_params = ["{{ business_name }}"]
    body = "Halo {{1}}, ..."          # the approved body, positional placeholders
    body_params = ["{{ customer.first_name }}", ...]   # Jinja2 expressions, in order
    footer = "Balas STOP untuk berhenti"
    [[buttons]]                       # only buttons that take a parameter
    type = "quick_reply"              # or "url"
    param = "STOP"
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from broadcaster.domain.templates import (
    BODY_LIMIT,
    FOOTER_LIMIT,
    HEADER_LIMIT,
    TEMPLATE_NAME,
    Button,
    Catalog,
    Category,
    Kind,
    MessageTemplate,
    placeholder_problems,
)

_KEYS = {"name", "code", "category", "header", "header_params", "body", "body_params", "footer"}
_KEYS |= {"buttons"}


def load_catalog(directory: Path) -> tuple[Catalog, list[str]]:
    """All templates under ``directory``; problems are ``"<file>: <key>: <what>"`` lines."""
    problems: list[str] = []
    templates: dict[Kind, dict[str, MessageTemplate]] = {}
    if not directory.is_dir():
        return Catalog({}), [f"{directory}: templates directory not found"]
    for path in sorted(directory.glob("*/*.toml")):
        kind_name = path.parent.name
        try:
            kind = Kind(kind_name)
        except ValueError:
            allowed = ", ".join(k.value for k in Kind)
            problems.append(f"{path}: unknown message kind folder {kind_name!r} ({allowed})")
            continue
        template, file_problems = _parse(path, kind)
        problems += file_problems
        if template is not None:
            templates.setdefault(kind, {})[template.language] = template
    return Catalog(templates), problems


def _parse(path: Path, kind: Kind) -> tuple[MessageTemplate | None, list[str]]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return None, [f"{path}: not valid TOML: {exc}"]
    problems = [f"{path}: {key}: unknown key" for key in sorted(set(raw) - _KEYS)]

    def text(key: str, required: bool = False) -> str:
        value = raw.get(key, "")
        if not isinstance(value, str) or (required and not value.strip()):
            problems.append(f"{path}: {key}: {'required, ' if required else ''}expected a string")
            return ""
        return value

    def strings(key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{path}: {key}: expected a list of strings")
            return ()
        return tuple(value)

    name = text("name", required=True)
    if name and not TEMPLATE_NAME.match(name):
        problems.append(f"{path}: name: lower-case letters, digits and _ only")
    category = text("category", required=True)
    if category and category not in Category.__members__:
        problems.append(f"{path}: category: expected UTILITY, MARKETING or AUTHENTICATION")
    body, header, footer = text("body", required=True), text("header"), text("footer")
    body_params, header_params = strings("body_params"), strings("header_params")
    problems += _text_problems(path, body, body_params, header, header_params, footer)
    buttons = _buttons(raw.get("buttons", []), path, problems)
    if problems:
        return None, problems
    return (
        MessageTemplate(
            kind=kind,
            language=path.stem,
            name=name,
            code=text("code") or path.stem,
            category=Category(category),
            body=body,
            body_params=body_params,
            header=header,
            header_params=header_params,
            footer=footer,
            buttons=buttons,
            source=str(path),
        ),
        [],
    )


def _text_problems(
    path: Path,
    body: str,
    body_params: tuple[str, ...],
    header: str,
    header_params: tuple[str, ...],
    footer: str,
) -> list[str]:
    problems = [f"{path}: {p}" for p in placeholder_problems(body, body_params, "body")]
    problems += [f"{path}: {p}" for p in placeholder_problems(header, header_params, "header")]
    limits = [("body", body, BODY_LIMIT), ("header", header, HEADER_LIMIT)]
    limits.append(("footer", footer, FOOTER_LIMIT))
    for key, value, limit in limits:
        if len(value) > limit:
            problems.append(f"{path}: {key}: longer than Meta's {limit} characters")
    if len(header_params) > 1:
        problems.append(f"{path}: header_params: a text header takes at most one parameter")
    return problems


def _buttons(raw: Any, path: Path, problems: list[str]) -> tuple[Button, ...]:
    if not isinstance(raw, list):
        problems.append(f"{path}: buttons: expected an array of tables")
        return ()
    buttons = []
    for index, item in enumerate(raw):
        where = f"{path}: buttons[{index}]"
        if not isinstance(item, dict) or set(item) - {"type", "param", "index"}:
            problems.append(f"{where}: expected a table with type, param and optional index")
            continue
        kind, param, position = item.get("type"), item.get("param"), item.get("index", index)
        if kind not in ("quick_reply", "url"):
            problems.append(f"{where}: type: expected quick_reply or url")
        elif not isinstance(param, str) or not param:
            problems.append(f"{where}: param: required, a string")
        elif not isinstance(position, int) or not 0 <= position < 10:
            problems.append(f"{where}: index: expected an integer 0-9")
        else:
            buttons.append(Button(kind, param, position))
    if len(buttons) > 10:
        problems.append(f"{path}: buttons: at most 10")
    return tuple(buttons)
