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
  intake      P:grp:<hash> (JSON: a correlation group), P:grp:<hash>:log (list: its signals,
              newest first), P:grps (zset hash -> next evaluation, +inf: no timer),
              P:inc:<id>:grp (the group an incident came from), P:seen:<source>:<delivery>,
              P:lease:<name> (periodic chores shared by every worker)
  contacts    P:ct:<yyyymmdd> (log lines of the day's contacts), P:ct:since (first record),
              P:bc:<id>:dlv (uint32 delivery second per notice recipient),
              P:inc:<id>:replies (hash of answer counts), P:inc:<id>:fu (follow-up answers),
              P:inc:<id>:deflection (final estimate, JSON), P:answer:<ordinal> (last answer)
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

    def vouchers(self, incident_id: str) -> str:
        """Hash customer ordinal -> voucher JSON: the incident's voucher ledger."""
        return f"{self.prefix}:inc:{incident_id}:vouchers"

    @property
    def voucher_secret(self) -> str:
        """The HMAC key of voucher codes when [vouchers] secret is not configured."""
        return f"{self.prefix}:vouchers:secret"

    def voucher_totals(self, incident_id: str) -> str:
        return f"{self.prefix}:inc:{incident_id}:vouchers:totals"

    def compensated(self, ordinal: int) -> str:
        """The month a customer was last compensated in (once per month)."""
        return f"{self.prefix}:comp:{ordinal}"

    def cadence(self, ordinal: int) -> str:
        """Hash: when the customer last heard from us, how often per incident, which revision."""
        return f"{self.prefix}:cad:{ordinal}"

    def follow_up_cases(self, incident_id: str) -> str:
        return f"{self.prefix}:inc:{incident_id}:cases"

    def csat(self, incident_id: str) -> str:
        return f"{self.prefix}:inc:{incident_id}:csat"

    def csat_pending(self, ordinal: int) -> str:
        return f"{self.prefix}:csat:{ordinal}"

    def incident_seen(self, incident_id: str, episode: int = 0) -> str:
        """Bitmap of every customer the incident's notices selected (notified or held out)
        since it last (re)opened: a widened scope adds only customers not in it yet."""
        suffix = f":{episode}" if episode else ""
        return f"{self.prefix}:inc:{incident_id}:seen{suffix}"

    @property
    def outbox(self) -> str:
        return f"{self.prefix}:outbox"

    @property
    def incidents(self) -> str:
        return f"{self.prefix}:incs"

    @property
    def open_incidents(self) -> str:
        """Set of incident ids not resolved or cancelled."""
        return f"{self.prefix}:incs:open"

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

    def rate_buckets(self, broadcast_id: str) -> str:
        """Hash unix second -> messages accepted then (expires a minute after the last)."""
        return f"{self.prefix}:bc:{broadcast_id}:rate"

    @property
    def active_broadcasts(self) -> str:
        return f"{self.prefix}:bcs:active"

    @property
    def hold(self) -> str:
        """Set while all sending is held (bad token, account restricted): reason, code, since."""
        return f"{self.prefix}:hold"

    @property
    def template_status(self) -> str:
        """Hash "name|language code" -> what Meta last said of the template (JSON)."""
        return f"{self.prefix}:templates:status"

    def budget(self) -> str:
        """Recipients messaged in the rolling 24 h window (the messaging limit)."""
        return f"{self.prefix}:budget"

    # --- sending limits ---
    def rate(self, phone_number_id: str) -> str:
        return f"{self.prefix}:rl:{phone_number_id}"

    def pair(self, phone_number_id: str, wa_id: str) -> str:
        return f"{self.prefix}:pair:{phone_number_id}:{wa_id}"

    def answer_pair(self, phone_number_id: str, wa_id: str) -> str:
        """GCRA arrival time of answers to one customer from one number (their burst)."""
        return f"{self.prefix}:pairans:{phone_number_id}:{wa_id}"

    # --- contacts and deflection ---
    def contact_log(self, day: str) -> str:
        """One UTC day's contacts, a line each (``yyyymmdd``)."""
        return f"{self.prefix}:ct:{day}"

    @property
    def contacts_since(self) -> str:
        """Epoch ms of the first contact ever logged: baselines before it are unknown."""
        return f"{self.prefix}:ct:since"

    def deliveries(self, broadcast_id: str) -> str:
        return f"{self.prefix}:bc:{broadcast_id}:dlv"

    def incident_replies(self, incident_id: str) -> str:
        return f"{self.prefix}:inc:{incident_id}:replies"

    def incident_follow_ups(self, incident_id: str) -> str:
        return f"{self.prefix}:inc:{incident_id}:fu"

    def incident_deflection(self, incident_id: str) -> str:
        return f"{self.prefix}:inc:{incident_id}:deflection"

    def last_answer(self, ordinal: int) -> str:
        return f"{self.prefix}:answer:{ordinal}"

    # --- idempotency, tokens, webhooks ---
    def idempotency(self, scope: str, key: str) -> str:
        return f"{self.prefix}:idem:{scope}:{key}"

    def seen(self, source: str, key: str) -> str:
        return f"{self.prefix}:seen:{source}:{key}"

    # --- intake ---
    def signal_group(self, group_hash: str) -> str:
        return f"{self.prefix}:grp:{group_hash}"

    def signal_log(self, group_hash: str) -> str:
        return f"{self.prefix}:grp:{group_hash}:log"

    @property
    def signal_groups(self) -> str:
        return f"{self.prefix}:grps"

    def incident_group(self, incident_id: str) -> str:
        return f"{self.prefix}:inc:{incident_id}:grp"

    def lease(self, name: str) -> str:
        return f"{self.prefix}:lease:{name}"
