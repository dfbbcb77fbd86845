"""Directory and audience against a real Redis: indexes follow records, BITOPs match the rules."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadcaster.adapters.audience import Audiences, Destination, holdout_seed, unpack
from broadcaster.adapters.directory import Directory
from broadcaster.adapters.keys import Keys
from broadcaster.domain.customers import Customer
from broadcaster.domain.segments import AllOf, AnyOf, Equals, Not, Prefix, Rule, matches

TIERS = ["platinum", "gold", "silver", "standard"]
REGIONS = ["jkt-selatan", "jkt-utara", "bdg", "sby"]


def make_customer(i: int, **changes: object) -> Customer:
    fields: dict[str, object] = {
        "customer_id": f"C{i:05d}",
        "phone": f"+62812{i:07d}",
        "opt_in": True,
        "name": f"Customer {i}",
        "language": "id" if i % 3 else "en",
        "timezone": "Asia/Jakarta",
        "tier": TIERS[i % 4],
        "attributes": {"region": REGIONS[i % 4], "service": "fiber" if i % 2 else "mobile"},
    }
    fields.update(changes)
    return Customer(**fields)  # type: ignore[arg-type]


def everything(c: Customer) -> dict[str, str]:
    return {**c.attributes, "tier": c.tier, "language": c.language}


async def test_reimport_moves_index_entries_and_reports_unchanged(redis_client):
    directory = Directory(redis_client, Keys())
    audiences = Audiences(redis_client, Keys(), TIERS)
    first = await directory.upsert([make_customer(i) for i in range(8)])
    assert (first.created, first.updated, first.unchanged) == (8, 0, 0)

    moved = make_customer(0, attributes={"region": "bdg", "service": "fiber"})
    again = await directory.upsert([moved, make_customer(1)])
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)

    south = await audiences.resolve(Equals("region", ("jkt-selatan",)))
    bandung = await audiences.resolve(Equals("region", ("bdg",)))
    assert south.eligible == 1  # customer 4 only; 0 moved away with no stale bit left
    assert bandung.eligible == 3  # 0 (moved in), 2, 6
    assert (await directory.get("C00000")) == moved


async def test_phone_change_updates_the_phone_lookup(redis_client):
    directory = Directory(redis_client, Keys())
    await directory.upsert([make_customer(1)])
    await directory.upsert([make_customer(1, phone="+628991234567")])
    assert await directory.find_by_phone("+628120000001") is None
    found = await directory.find_by_phone("+628991234567")
    assert found is not None
    assert found[1].customer_id == "C00001"


async def test_audience_honours_opt_in_opt_out_tier_order_and_holdout(redis_client):
    directory = Directory(redis_client, Keys())
    audiences = Audiences(redis_client, Keys(), TIERS)
    customers = [make_customer(i, opt_in=i % 10 != 0) for i in range(400)]
    await directory.upsert(customers)
    out = await directory.ordinal("C00005")
    assert out is not None
    assert await directory.set_opted_out(out, True)

    rule = Equals("service", ("fiber",))
    summary = await audiences.resolve(
        rule,
        holdout_per_million=100_000,
        seed=holdout_seed("INC-1"),
        destination=Destination("send", "held", eligible="seen"),
    )
    fiber = [c for c in customers if c.attributes["service"] == "fiber"]
    assert summary.affected == len(fiber)
    expected = {c.customer_id for c in fiber if c.opt_in and c.customer_id != "C00005"}
    assert summary.eligible == len(expected)
    assert summary.notified + summary.holdout == summary.eligible
    assert 0 < summary.holdout < summary.eligible * 0.25

    send = unpack(await redis_client.get("send"))
    tiers = [c.tier for c in await directory.get_many(send) if c]
    assert tiers == sorted(tiers, key=TIERS.index), "highest tier first"
    held = unpack(await redis_client.get("held"))
    assert not set(send) & set(held)

    again = await audiences.resolve(rule, holdout_per_million=100_000, seed=holdout_seed("INC-1"))
    assert again.holdout == summary.holdout, "the holdout is stable per incident"

    widened = await audiences.resolve(
        Equals("service", ("fiber", "mobile")), destination=Destination(exclude="seen")
    )
    mobile = [c for c in customers if c.attributes["service"] == "mobile" and c.opt_in]
    assert widened.eligible == len(mobile), "a widened scope adds only the new customers"


rules: st.SearchStrategy[Rule] = st.deferred(
    lambda: st.one_of(
        st.builds(
            Equals,
            st.sampled_from(["region", "service", "tier"]),
            st.lists(st.sampled_from([*REGIONS, "fiber", "mobile", *TIERS]), min_size=1).map(tuple),
        ),
        st.builds(
            Prefix,
            st.just("region"),
            st.lists(st.sampled_from(["jkt", "b", "s"]), min_size=1).map(tuple),
        ),
        st.builds(AllOf, st.lists(rules, max_size=3).map(tuple)),
        st.builds(AnyOf, st.lists(rules, min_size=1, max_size=3).map(tuple)),
        st.builds(Not, rules),
    )
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rule=rules)
async def test_bitmap_resolution_equals_the_reference_semantics(redis_client, rule: Rule):
    directory = Directory(redis_client, Keys("prop"))
    audiences = Audiences(redis_client, Keys("prop"), TIERS)
    customers = [make_customer(i) for i in range(60)]
    if await directory.count() == 0:
        await directory.upsert(customers)
    summary = await audiences.resolve(rule, destination=Destination(send_list="prop:out"))
    got = {
        c.customer_id
        for c in await directory.get_many(unpack(await redis_client.get("prop:out")))
        if c
    }
    want = {c.customer_id for c in customers if matches(rule, everything(c))}
    assert got == want
    assert summary.affected == len(want)
    assert not await redis_client.keys("prop:tmp:*"), "scratch keys are cleaned up"


def test_holdout_share_is_close_to_the_configured_percentage():
    from broadcaster.adapters.audience import in_holdout

    seed = holdout_seed("INC-42")
    held = sum(in_holdout(o, seed, 100_000) for o in range(1, 100_001))
    assert 9_000 < held < 11_000
    other = holdout_seed("INC-43")
    overlap = sum(
        in_holdout(o, seed, 100_000) and in_holdout(o, other, 100_000) for o in range(1, 100_001)
    )
    assert overlap < 2_000, "different incidents hold out different customers"
