"""Register our own message templates with the simulator, as if Meta had approved them."""

from __future__ import annotations

from broadcaster.domain.templates import Catalog
from broadcaster.simulator.catalog import ApprovedTemplate


def approved_templates(catalog: Catalog) -> tuple[ApprovedTemplate, ...]:
    """One approved template per file of ``templates/`` (name, Meta language code, shape)."""
    out = []
    for template in catalog.all():
        buttons = sorted(template.buttons, key=lambda b: b.index)
        out.append(
            ApprovedTemplate(
                name=template.name,
                language=template.code,
                category=template.category.value,
                body_text=template.body,
                header_text=template.header,
                footer_text=template.footer,
                buttons=tuple(b.type for b in buttons),
                url_button_params=1 if any(b.type == "url" for b in buttons) else 0,
            )
        )
    return tuple(out)
