"""What a ``failed`` status webhook means beyond its own recipient.

WhatsApp accepts some messages and only then reports them failed. The recipient's outcome is
final (``statuses`` applies it), but a few codes say every further message would fail the same
way: an account-level one (payment method, locked account, revoked permission) holds all
sending exactly as the synchronous refusal does, and a number-level one (131048 spam rate
limit) slows that number down. Without this a broadcast would burn through its whole audience
on messages that are accepted and then dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from broadcaster.adapters.holds import Holds
from broadcaster.adapters.rate_limiter import Pacers
from broadcaster.adapters.whatsapp_webhooks import StatusUpdate
from broadcaster.domain.send_errors import Action, Verdict, classify_async, number_wait
from broadcaster.services.holds import hold_sending


def verdicts(updates: Iterable[StatusUpdate]) -> tuple[list[Verdict], dict[str, float]]:
    """Distinct account-level verdicts, and the longest wait per sender number."""
    account: dict[str, Verdict] = {}
    waits: dict[str, float] = {}
    for update in updates:
        if update.status != "failed":
            continue
        for code in update.error_codes:
            verdict = classify_async(code)
            if verdict.action is Action.PAUSE_ACCOUNT:
                account.setdefault(verdict.reason, verdict)
            elif (wait := number_wait(verdict)) is not None:
                number = update.phone_number_id
                waits[number] = max(wait.total_seconds(), waits.get(number, 0))
    return list(account.values()), waits


async def react_to_failures(
    holds: Holds, pacers: Pacers, updates: Iterable[StatusUpdate], now: datetime
) -> None:
    """Hold or slow sending for the failures reported in one webhook batch (idempotent)."""
    account, waits = verdicts(updates)
    for verdict in account:
        await hold_sending(holds, verdict, now)
    for number, seconds in waits.items():
        await pacers[number].push_back(seconds)
