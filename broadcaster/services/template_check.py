"""Check message templates: our files, a sample render of each, and the WhatsApp account.

Offline checks need no credentials: every file parses, every expression compiles and renders
under StrictUndefined with a sample of what its own kind of message is filled from, and every
kind the configuration sends has a template in the default language. With a
token and a WABA id, each template is compared with the account's approved templates: it
must exist in that language, be APPROVED, keep its category and take as many parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from jinja2 import TemplateError

from broadcaster.domain.customers import Customer
from broadcaster.domain.incidents import Incident, Severity, Status
from broadcaster.domain.templates import Catalog, Kind, MessageTemplate, placeholder_count
from broadcaster.rendering import Renderer
from broadcaster.services.context import customer_context, incident_context

SAMPLE_START = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)


def sample_context(language: str, business_name: str, kind: Kind | None = None) -> dict[str, Any]:
    """What a message of ``kind`` is filled from (every kind's variables when None): a
    template that uses another kind's variable must fail here, not when it is sent."""
    incident = Incident(
        id="INC-1",
        title="Gangguan jaringan fiber",
        severity=Severity.MAJOR,
        status=Status.INVESTIGATING,
        started_at=SAMPLE_START,
        source="sample",
        segments=("sample",),
        labels={"region": "jkt-selatan"},
        eta=SAMPLE_START + timedelta(hours=3),
    )
    customer = Customer(
        customer_id="C-1",
        phone="+6281234567890",
        opt_in=True,
        name="Siti Rahayu",
        language=language,
        timezone="Asia/Jakarta",
        tier="gold",
        attributes={"region": "jkt-selatan", "service": "fiber"},
    )
    extra: dict[str, Any] = {
        "next_update": "Sel 24 Nov, 16:00 WIB",
        "still_working": False,
        "others": [{"title": "Gangguan listrik", "eta": "Sel 24 Nov, 18:00 WIB"}],
    }
    if kind in (None, Kind.VOUCHER):
        extra["voucher"] = {"code": "OB-SAMPLE-1234", "value": "Rp50.000", "expires": "31 Des 2026"}
    if kind in (None, Kind.FOLLOW_UP):
        extra["follow_up"] = {"ok_payload": "FU:INC-1:ok", "down_payload": "FU:INC-1:down"}
    return customer_context(incident_context(incident, business_name), incident, customer, extra)


def required_kinds(compensation: bool, follow_up: bool) -> tuple[Kind, ...]:
    """Kinds the configuration will send, each needing a template in the default language."""
    kinds = [Kind.NOTICE, Kind.UPDATE, Kind.RESOLUTION]
    return (
        *kinds,
        *([Kind.VOUCHER] if compensation else []),
        *([Kind.FOLLOW_UP] if follow_up else []),
    )


def check_offline(
    catalog: Catalog,
    renderer: Renderer,
    default_language: str,
    business_name: str,
    required: Sequence[Kind] = (Kind.NOTICE, Kind.UPDATE, Kind.RESOLUTION),
) -> list[str]:
    problems = list(renderer.problems)
    for kind in required:
        if catalog.choose(kind, default_language, default_language) is None:
            problems.append(
                f"templates/{kind}: no template in the default language {default_language!r}"
            )
    for template in catalog.all():
        try:
            renderer.render(
                template.kind,
                template.language,
                sample_context(template.language, business_name, template.kind),
            )
        except (TemplateError, TypeError, ValueError, KeyError) as exc:
            problems.append(f"{template.source}: does not render with the sample context: {exc}")
    return problems


def check_against_account(
    templates: Sequence[MessageTemplate], approved: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Compare our templates with the account's list (``GET /{waba}/message_templates``)."""
    index = {(str(t.get("name")), str(t.get("language"))): t for t in approved}
    problems = []
    for template in templates:
        remote = index.get((template.name, template.code))
        where = f"{template.source}: {template.name} ({template.code})"
        if remote is None:
            problems.append(f"{where}: not in the WhatsApp account")
            continue
        if remote.get("status") != "APPROVED":
            problems.append(f"{where}: status is {remote.get('status')}, only APPROVED can be sent")
        if str(remote.get("category", "")).upper() != template.category.value:
            theirs = remote.get("category")
            problems.append(f"{where}: category {theirs} in the account, {template.category} here")
        counts = _remote_counts(remote)
        ours = {"BODY": len(template.body_params), "HEADER": len(template.header_params)}
        for component, count in ours.items():
            if counts.get(component, 0) != count:
                theirs = counts.get(component, 0)
                problems.append(
                    f"{where}: {component.lower()} takes {theirs} parameters in the account, "
                    f"{count} here"
                )
    return problems


def _remote_counts(remote: Mapping[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for component in remote.get("components") or []:
        if isinstance(component, dict) and component.get("type") in ("BODY", "HEADER"):
            counts[component["type"]] = placeholder_count(str(component.get("text", "")))
    return counts
