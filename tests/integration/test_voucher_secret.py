"""Without a configured secret, voucher codes use a random key kept in Redis."""

from __future__ import annotations

import asyncio

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.voucher_store import VoucherStore


async def test_the_generated_key_is_random_made_once_and_shared(redis_client):
    stores = [VoucherStore(redis_client, Keys()) for _ in range(4)]
    keys = await asyncio.gather(*(s.code_secret() for s in stores))  # workers racing
    assert len(set(keys)) == 1
    assert len(keys[0]) == 64
    int(keys[0], 16)  # hex
    assert await VoucherStore(redis_client, Keys()).code_secret() == keys[0], "kept"
