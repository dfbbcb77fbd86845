"""Audience resolution against a real Redis: windows, previews, counts and the snapshot."""

from __future__ import annotations

import pytest

from broadcaster.adapters import audience as audience_module
from broadcaster.adapters.audience import Audiences, Destination, holdout_seed, unpack
from broadcaster.adapters.directory import Directory
from broadcaster.adapters.keys import Keys
from broadcaster.domain.holdout import split_holdout
from broadcaster.domain.segments import Equals, Prefix
from tests.integration.test_directory import TIERS, make_customer


@pytest.fixture
async def loaded(redis_client):
    directory = Directory(redis_client, Keys())
    customers = [make_customer(i, opt_in=i % 10 != 3) for i in range(500)]
    await directory.upsert(customers)
    return directory, customers


@pytest.mark.parametrize("window", [1, 3, 8192])
async def test_windows_of_any_size_give_the_same_tier_ordered_lists(
    redis_client, loaded, monkeypatch, window
):
    monkeypatch.setattr(audience_module, "WINDOW_BYTES", window)
    directory, customers = loaded
    audiences = Audiences(redis_client, Keys(), TIERS)
    seed = holdout_seed("INC-9")
    summary = await audiences.resolve(
        Equals("service", ("fiber",)),
        holdout_per_million=200_000,
        seed=seed,
        destination=Destination("t:send", "t:held"),
        sample_size=5,
    )
    send = unpack(await redis_client.get("t:send"))
    held = unpack(await redis_client.get("t:held"))
    ordinals = {c.customer_id: await directory.ordinal(c.customer_id) for c in customers}
    eligible = [c for c in customers if c.attributes["service"] == "fiber" and c.opt_in]
    by_tier = sorted(
        (ordinals[c.customer_id] for c in eligible),
        key=lambda o: (TIERS.index(customers[o - 1].tier), o),
    )
    want_send, want_held = split_holdout(by_tier, seed, 200_000)
    assert send == want_send
    assert held == want_held
    assert summary.sample == want_send[:5]
    assert (summary.notified, summary.holdout) == (len(want_send), len(want_held))
    assert summary.by_tier == {t: sum(c.tier == t for c in eligible) for t in TIERS}


async def test_a_preview_counts_without_writing_and_samples_the_top_tier(redis_client, loaded):
    directory, customers = loaded
    audiences = Audiences(redis_client, Keys(), TIERS)
    before = set(await redis_client.keys("*"))
    summary = await audiences.resolve(Equals("service", ("fiber",)), sample_size=3)
    assert set(await redis_client.keys("*")) == before, "a preview leaves nothing behind"
    eligible = [c for c in customers if c.attributes["service"] == "fiber" and c.opt_in]
    assert summary.affected == sum(c.attributes["service"] == "fiber" for c in customers)
    assert summary.eligible == summary.notified == len(eligible)
    assert summary.holdout == 0
    sampled = await directory.get_many(summary.sample)
    assert len(sampled) == 3
    assert {c.tier for c in sampled if c} == {"gold"}, "gold before standard"
    assert summary.by_language == {
        lang: sum(c.language == lang for c in eligible) for lang in ("en", "id")
    }
    assert summary.by_calling_code == {"62": len(eligible)}


async def test_overlap_counts_customers_an_earlier_notice_already_selected(redis_client, loaded):
    audiences = Audiences(redis_client, Keys(), TIERS)
    first = await audiences.resolve(
        Equals("region", ("bdg",)), destination=Destination(eligible="t:seen")
    )
    widened = Equals("region", ("bdg", "sby"))
    again = await audiences.resolve(widened, compare_with="t:seen")
    assert again.overlap == first.eligible
    new_only = await audiences.resolve(widened, destination=Destination(exclude="t:seen"))
    assert new_only.eligible == again.eligible - first.eligible


async def test_customers_of_an_unlisted_tier_come_last_and_empty_selections_are_empty(
    redis_client,
):
    directory = Directory(redis_client, Keys())
    audiences = Audiences(redis_client, Keys(), TIERS)
    empty = await audiences.resolve(Equals("service", ("fiber",)), sample_size=3)
    assert (empty.affected, empty.eligible, empty.by_language, empty.sample) == (0, 0, {}, [])
    await directory.upsert([make_customer(1, tier="diamond"), make_customer(3, tier="gold")])
    summary = await audiences.resolve(
        Equals("service", ("fiber",)), destination=Destination(send_list="t:send")
    )
    assert summary.by_tier == {"platinum": 0, "gold": 1, "silver": 0, "standard": 0, "other": 1}
    first, last = await directory.get_many(unpack(await redis_client.get("t:send")))
    assert (first and first.tier, last and last.tier) == ("gold", "diamond")
    nothing = await audiences.resolve(Prefix("region", ("nowhere",)))
    assert nothing.affected == 0
