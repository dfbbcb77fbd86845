"""Customers: recipient ids, change detection, index entries, configured defaults."""

from __future__ import annotations

import dataclasses

from broadcaster.domain.customers import Customer, with_defaults

ANI = Customer("c1", "+6281234567890", True, name="Ani", attributes={"region": "jkt", "site": ""})


def test_the_whatsapp_id_is_the_number_without_plus():
    assert ANI.wa_id == "6281234567890"


def test_the_content_hash_changes_exactly_when_a_stored_field_changes():
    same = dataclasses.replace(ANI, attributes={"site": "", "region": "jkt"})
    assert same.content_hash() == ANI.content_hash()
    assert dataclasses.replace(ANI, tier="gold").content_hash() != ANI.content_hash()
    assert dataclasses.replace(ANI, opt_in=False).content_hash() != ANI.content_hash()


def test_index_entries_skip_empty_attributes_and_add_tier_and_language():
    filled = with_defaults(ANI, language="id", timezone="Asia/Jakarta", tier="standard")
    assert filled.index_entries() == [("region", "jkt"), ("tier", "standard"), ("language", "id")]


def test_defaults_fill_only_the_blanks():
    filled = with_defaults(
        dataclasses.replace(ANI, language="en"), "id", "Asia/Jakarta", "standard"
    )
    assert (filled.language, filled.timezone, filled.tier) == ("en", "Asia/Jakarta", "standard")
    assert filled.attributes == ANI.attributes
