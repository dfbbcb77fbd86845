"""A failing driver does not leave its siblings' sends unobserved."""

from __future__ import annotations

import asyncio

import pytest

from broadcaster.services.sending import settle


async def test_settle_waits_for_every_send_then_raises_the_failure():
    finished: list[str] = []

    async def send(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        finished.append(name)

    async def broken() -> None:
        raise RuntimeError("driver failed")

    with pytest.raises(RuntimeError, match="driver failed"):
        await settle([broken(), send("slow", 0.05), send("fast", 0)])
    assert finished == ["fast", "slow"], "both sends ran to the end, neither was cancelled"
