"""Every metric of the service passes promtool (names, units, _total on counters)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from broadcaster import metrics


def test_the_exposition_passes_promtool_check_metrics():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (make tools)")
    # labelled metrics only appear once a child exists
    metrics.INBOUND_MESSAGES.labels("text").inc(0)
    metrics.CONTACTS.labels("voice").inc(0)
    metrics.AUTO_REPLIES.labels("status", "sent").inc(0)
    metrics.FOLLOW_UP_ANSWERS.labels("ok").inc(0)
    metrics.DEFLECTION_ESTIMATED.labels("holdout").set(0)
    metrics.DEFLECTION_FINALIZED.labels("holdout").inc(0)
    body, _ = metrics.render()
    assert b"broadcaster_auto_reply_duration_seconds_bucket" in body
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=body, capture_output=True, check=False
    )
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()
