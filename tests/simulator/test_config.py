"""Simulator settings: impossible values are refused up front, each one named."""

from __future__ import annotations

import pytest

from broadcaster.simulator import Faults, Simulator, SimulatorConfig


def test_an_impossible_config_is_refused_naming_every_problem():
    config = SimulatorConfig(
        phone_number_ids=(),
        messages_per_second=-1,
        throttle_http_status=503,
        pair_burst=0,
        status_delay_s=(0.5, 0.1),
        read_ratio=2.0,
        webhook_batch_max=0,
        faults=Faults(drop_ratio=-0.1),
    )
    with pytest.raises(ValueError, match="invalid simulator config") as caught:
        Simulator(config)
    for name in (
        "phone_number_ids",
        "messages_per_second",
        "throttle_http_status",
        "pair_burst",
        "status_delay_s",
        "read_ratio",
        "webhook_batch_max",
        "drop_ratio",
    ):
        assert name in str(caught.value)


def test_display_numbers_default_from_the_id_and_can_be_set():
    config = SimulatorConfig(phone_number_ids=("106540352242922", "7"))
    assert config.display_number("106540352242922") == "15552242922"
    assert config.display_number("7") == "15550000007"
    config.display_phone_numbers = {"7": "6281100000007"}
    assert config.display_number("7") == "6281100000007"


def test_faults_can_be_replaced_but_not_with_impossible_ones():
    sim = Simulator(SimulatorConfig())
    sim.faults = Faults(slow_ratio=0.5)
    assert sim.config.faults.slow_ratio == 0.5
    with pytest.raises(ValueError, match="slow_ratio"):
        sim.faults = Faults(slow_ratio=5)
