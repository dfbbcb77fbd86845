"""Every metric of the service passes promtool (names, units, _total on counters)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from prometheus_client import Counter, Gauge, Histogram

from broadcaster import metrics

COLLECTORS = [
    value for value in vars(metrics).values() if isinstance(value, Counter | Gauge | Histogram)
]


def test_the_exposition_passes_promtool_check_metrics():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (make tools)")
    # a labelled metric only appears once a child exists: make one of each, then drop it
    labelled = [c for c in COLLECTORS if c._labelnames]
    for collector in labelled:
        collector.labels(*("probe" for _ in collector._labelnames))
    try:
        body, _ = metrics.render((*metrics.SERVER, metrics.WORKER_REGISTRY))
    finally:
        for collector in labelled:
            collector.remove(*("probe" for _ in collector._labelnames))
    assert b"broadcaster_auto_reply_duration_seconds_bucket" in body
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=body, capture_output=True, check=False
    )
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()
