"""Who an incident (or a segment) would reach, before anything is sent.

One answer for ``GET /api/v1/incidents/{id}/audience``, ``GET /api/v1/segments/{name}/audience``
and ``broadcaster audience``: counts by tier and language, the holdout, how many an earlier
notice of the incident already selected, a sample with masked phone numbers, and how long
sending would take at the configured rate and what it would cost. Resolution writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from broadcaster.adapters.audience import Audiences, AudienceSummary, holdout_seed
from broadcaster.adapters.directory import Directory
from broadcaster.adapters.incident_store import IncidentStore
from broadcaster.adapters.keys import Keys
from broadcaster.config import Settings
from broadcaster.domain.segments import Rule, Segment, describe
from broadcaster.errors import NotFound
from broadcaster.logs import mask_phone
from broadcaster.policies import price_table
from broadcaster.services.planning import audience_rule, holdout_per_million, send_estimate

MAX_SAMPLE = 100


@dataclass(frozen=True)
class AudienceView:
    """What a preview needs: the stores and the configuration."""

    settings: Settings
    keys: Keys
    directory: Directory
    audiences: Audiences
    incidents: IncidentStore
    segments: Mapping[str, Segment]

    async def of_incident(self, incident_id: str, sample: int) -> dict[str, Any]:
        incident = await self.incidents.get(incident_id)
        rule = audience_rule(incident, self.segments)
        per_million = holdout_per_million(incident, self.settings)
        summary = await self.audiences.resolve(
            rule,
            holdout_per_million=per_million,
            seed=holdout_seed(incident.id),
            sample_size=_sample_size(sample),
            compare_with=self.keys.incident_seen(incident.id, incident.episode),
        )
        body = await self._body(rule, summary, per_million)
        return {"incident": incident.id, "segments": list(incident.segments), **body}

    async def of_segment(self, name: str, labels: Mapping[str, str], sample: int) -> dict[str, Any]:
        segment = self.segments.get(name)
        if segment is None:
            raise NotFound(f"no segment {name!r}", [f"known: {', '.join(sorted(self.segments))}"])
        rule = segment.selection(labels)
        per_million = int(self.settings.broadcast.holdout_percent * 10_000)
        summary = await self.audiences.resolve(
            rule, holdout_per_million=per_million, sample_size=_sample_size(sample)
        )
        body = await self._body(rule, summary, per_million)
        return {"segment": segment.name, "labels": dict(labels), **body}

    async def _body(self, rule: Rule, summary: AudienceSummary, per_million: int) -> dict[str, Any]:
        customers = await self.directory.get_many(summary.sample)
        return {
            "rule": describe(rule),
            "affected": summary.affected,
            "eligible": summary.eligible,
            "notified": summary.notified,
            "holdout": summary.holdout,
            "holdout_percent": per_million / 10_000,
            "already_selected": summary.overlap,
            "by_tier": summary.by_tier,
            "by_language": summary.by_language,
            "by_calling_code": summary.by_calling_code,
            # what a notice to them would take and cost (notice templates are UTILITY)
            "estimate": send_estimate(
                self.settings.whatsapp, price_table(self.settings), "utility", summary
            ),
            "sample": [
                {"phone": mask_phone(c.phone), "tier": c.tier, "language": c.language}
                for c in customers
                if c is not None
            ],
        }


def _sample_size(requested: int) -> int:
    return max(0, min(MAX_SAMPLE, requested))
