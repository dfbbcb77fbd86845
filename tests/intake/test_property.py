"""Random JSON at every receiver: never a 500, and a refused body never writes anything.

Bodies are signed or carry the right token, so they get past authentication and exercise
the parsers: fully random JSON, and valid payloads with one part replaced by random JSON or
removed (which sometimes stays valid and is then accepted whole).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadcaster.domain.signatures import grafana_signature, hmac_sha256_hex
from tests.intake.conftest import (
    AM_TOKEN,
    GRAFANA_SECRET,
    PD_SECRET,
    STATUSPAGE_TOKEN,
    payload,
    post,
    snapshot,
)

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=25,
)

RECEIVERS = {
    "alertmanager": "alertmanager_firing.json",
    "grafana": "grafana_firing.json",
    "pagerduty": "pagerduty_v3_incident_triggered.json",
    "statuspage": "statuspage_webhook_incident_update.json",
}


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document (keys and list indexes), the root included."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


def mutated(document: Any, path: tuple[Any, ...], replacement: Any, remove: bool) -> Any:
    if not path:
        return replacement
    copy = json.loads(json.dumps(document))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    if remove and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return copy


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    source = draw(st.sampled_from(sorted(RECEIVERS)))
    if draw(st.booleans()):
        document = draw(JSON)
    else:
        valid = payload(RECEIVERS[source])
        path = draw(st.sampled_from(paths(valid)))
        document = mutated(valid, path, draw(JSON), draw(st.booleans()))
    return source, json.dumps(document).encode()


def credentials(source: str, body: bytes) -> tuple[str, dict[str, str]]:
    if source == "alertmanager":
        return "/webhooks/alertmanager", {"Authorization": f"Bearer {AM_TOKEN}"}
    if source == "grafana":
        signature = grafana_signature(GRAFANA_SECRET, body)
        return "/webhooks/grafana", {"X-Grafana-Alerting-Signature": signature}
    if source == "pagerduty":
        signature = "v1=" + hmac_sha256_hex(PD_SECRET.encode(), body)
        return "/webhooks/pagerduty", {"X-PagerDuty-Signature": signature}
    return f"/webhooks/statuspage/{STATUSPAGE_TOKEN}", {}


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=bodies())
async def test_random_json_never_gets_a_500_nor_a_partial_write(hooks, redis_client, case):
    source, body = case
    path, headers = credentials(source, body)
    before = await snapshot(redis_client)
    response = await post(hooks, path, body, headers)
    assert response.status < 500, await response.text()
    answer = await response.json()
    if response.status >= 400:
        assert set(answer["error"]) == {"code", "message", "details"}
        assert await snapshot(redis_client) == before
        return
    assert response.status in (200, 202)
    # whatever was accepted was written whole: every scheduled group exists with its log
    for group_hash in await redis_client.zrange("ob:grps", 0, -1):
        assert await redis_client.exists(b"ob:grp:" + group_hash)
        assert await redis_client.exists(b"ob:grp:" + group_hash + b":log")
