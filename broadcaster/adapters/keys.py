"""Every Redis key this service writes, in one place, under the configured prefix.

Layout (P = prefix, default "ob"):
  customers   P:cust:seq (counter), P:cust:ids:<bucket> (hash id -> ordinal),
              P:cust:ph:<bucket> (hash phone -> ordinal), P:c:<ordinal> (string: the record,
              customer_records.py), P:bm:<attr>:<value> (bitmap over ordinals: the attribute
              indexes), P:bm:optin, P:bm:optout, P:bm:all, P:vals:<attr> (set of the
              attribute's values), P:imp:<run>:seen (bitmap: ids one import has written)
  incidents   P:inc:seq, P:inc:<id> (JSON), P:inc:<id>:audit (list), P:incs (zset by start)
  broadcasts  P:bc:<id> (hash: meta), P:bc:<id>:rcpt (packed uint32 ordinals in send order),
              P:bc:<id>:st (one state byte per recipient), P:bc:<id>:at (attempt byte),
              P:bc:<id>:due (hash index -> ms), P:bc:<id>:n (hash state -> count)
  limits      P:rl:<phone_number_id> (GCRA TAT), P:pair:<phone_number_id>:<wa_id>
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


def lookup_bucket(text: str) -> str:
    """One of 65,536 small hashes: ~15 entries each per million customers, so Redis keeps
    them as compact listpacks (~20 bytes an entry instead of ~66 in one big hash)."""
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:4]


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "ob"

    # --- customers ---
    @property
    def customer_seq(self) -> str:
        return f"{self.prefix}:cust:seq"

    def customer_ids(self, customer_id: str) -> str:
        """The bucket holding ``customer_id`` -> ordinal (mirrors ``bucket`` in customers.lua)."""
        return f"{self.prefix}:cust:ids:{lookup_bucket(customer_id)}"

    def customer_phones(self, phone: str) -> str:
        """The bucket holding ``phone`` -> ordinal."""
        return f"{self.prefix}:cust:ph:{lookup_bucket(phone)}"

    def import_seen(self, run: str) -> str:
        """Bitmap of the ordinals one import run has written (finds duplicate ids)."""
        return f"{self.prefix}:imp:{run}:seen"

    def customer(self, ordinal: int) -> str:
        return f"{self.prefix}:c:{ordinal}"

    @property
    def customer_record_prefix(self) -> str:
        return f"{self.prefix}:c:"

    def index(self, attribute: str, value: str) -> str:
        return f"{self.prefix}:bm:{attribute}:{value}"

    @property
    def index_prefix(self) -> str:
        return f"{self.prefix}:bm:"

    @property
    def opted_in(self) -> str:
        return f"{self.prefix}:bm:optin"

    @property
    def opted_out(self) -> str:
        return f"{self.prefix}:bm:optout"

    @property
    def everyone(self) -> str:
        return f"{self.prefix}:bm:all"

    def values(self, attribute: str) -> str:
        return f"{self.prefix}:vals:{attribute}"

    @property
    def values_prefix(self) -> str:
        return f"{self.prefix}:vals:"

    def scratch(self, name: str) -> str:
        """Short-lived intermediate results (they carry a TTL)."""
        return f"{self.prefix}:tmp:{name}"

    # --- incidents ---
    @property
    def incident_seq(self) -> str:
        return f"{self.prefix}:inc:seq"

    def incident(self, incident_id: str) -> str:
        return f"{self.prefix}:inc:{incident_id}"

    def incident_audit(self, incident_id: str) -> str:
        return f"{self.prefix}:inc:{incident_id}:audit"

    def incident_broadcasts(self, incident_id: str) -> str:
        return f"{self.prefix}:inc:{incident_id}:bcs"

    def incident_seen(self, incident_id: str) -> str:
        """Bitmap of every customer the incident's notices selected (notified or held out)."""
        return f"{self.prefix}:inc:{incident_id}:seen"

    @property
    def outbox(self) -> str:
        return f"{self.prefix}:outbox"

    @property
    def incidents(self) -> str:
        return f"{self.prefix}:incs"

    # --- broadcasts ---
    def broadcast(self, broadcast_id: str) -> str:
        return f"{self.prefix}:bc:{broadcast_id}"

    def recipients(self, broadcast_id: str) -> str:
        return f"{self.prefix}:bc:{broadcast_id}:rcpt"

    def held(self, broadcast_id: str) -> str:
        """Packed ordinals of the holdout: selected, deliberately not messaged."""
        return f"{self.prefix}:bc:{broadcast_id}:held"

    def states(self, broadcast_id: str) -> str:
        return f"{self.prefix}:bc:{broadcast_id}:st"

    def attempts(self, broadcast_id: str) -> str:
        return f"{self.prefix}:bc:{broadcast_id}:at"

    def due(self, broadcast_id: str) -> str:
        return f"{self.prefix}:bc:{broadcast_id}:due"

    def counts(self, broadcast_id: str) -> str:
        return f"{self.prefix}:bc:{broadcast_id}:n"

    @property
    def active_broadcasts(self) -> str:
        return f"{self.prefix}:bcs:active"

    @property
    def hold(self) -> str:
        """Set while all sending is held (bad token, account restricted): reason, code, since."""
        return f"{self.prefix}:hold"

    def budget(self) -> str:
        """Recipients messaged in the rolling 24 h window (the messaging limit)."""
        return f"{self.prefix}:budget"

    # --- sending limits ---
    def rate(self, phone_number_id: str) -> str:
        return f"{self.prefix}:rl:{phone_number_id}"

    def pair(self, phone_number_id: str, wa_id: str) -> str:
        return f"{self.prefix}:pair:{phone_number_id}:{wa_id}"

    # --- idempotency, tokens, webhooks ---
    def idempotency(self, scope: str, key: str) -> str:
        return f"{self.prefix}:idem:{scope}:{key}"

    def seen(self, source: str, key: str) -> str:
        return f"{self.prefix}:seen:{source}:{key}"
