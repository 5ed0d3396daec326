"""The time limits and conditions of the determination's life, as pure functions.

Sources: 公安部令第146号《道路交通事故处理程序规定》 art. 19–21 (self-agreement: the police
determine liability only when the parties jointly ask), art. 24 (the simple procedure's
determination within its time limit; a setting, 3 days), art. 71 (review within 3 days of
delivery, once), art. 74 (review concluded within 30 days; a revoked determination made again
within 10 days). DOMAIN.md "The determination's life".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from accident_online.models.case import Case, CaseStatus
from accident_online.models.determination import ConfirmationRecord, ReceiptRecord
from accident_online.settings import Settings

# A phone's clock may run a little fast: times a party gives may be this far ahead of ours.
CLOCK_GRACE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Limits:
    confirmation_expiry: timedelta
    determination: timedelta
    review_window: timedelta
    review: timedelta
    redetermination: timedelta


def limits_from(settings: Settings) -> Limits:
    return Limits(
        confirmation_expiry=timedelta(hours=settings.confirmation_expiry_hours),
        determination=timedelta(days=settings.determination_limit_days),
        review_window=timedelta(days=settings.review_window_days),
        review=timedelta(days=settings.review_limit_days),
        redetermination=timedelta(days=settings.redetermination_limit_days),
    )


def missing_confirmations(
    party_count: int, confirmations: Sequence[ConfirmationRecord]
) -> list[int]:
    """The parties that have not confirmed the report on their own phone yet."""
    confirmed = {item.party for item in confirmations}
    return [index for index in range(party_count) if index not in confirmed]


def is_agreement_case(case: Case) -> bool:
    """The parties agreed on liability and did not jointly ask for a determination (art. 19):
    the officer confirms their agreement (协议书) or refers it, and nothing is reviewed."""
    return bool(case.agreed_liability) and not case.determination_requested


def window_closes(receipt: ReceiptRecord, window: timedelta) -> datetime:
    """A party's review window runs from its receipt of the document (art. 71)."""
    return datetime.fromisoformat(receipt.received_at) + window


def review_window_open(receipt: ReceiptRecord | None, *, window: timedelta, now: datetime) -> bool:
    """Before its receipt the window has not started: a party may already apply."""
    if receipt is None:
        return True
    return not receipt.no_objection and now < window_closes(receipt, window)


FinalBecause = Literal["no_objection", "windows_lapsed"]


def final_by_receipts(
    receipts: Sequence[ReceiptRecord], *, party_count: int, window: timedelta, now: datetime
) -> FinalBecause | None:
    """Why the decision is final without a review, if it is: every party received it and
    stated no objection, or every party's window closed (a waiver closes it at once)."""
    by_party = {item.party: item for item in receipts}
    if len(by_party) < party_count:
        return None
    if all(item.no_objection for item in by_party.values()):
        return "no_objection"
    if all(not review_window_open(item, window=window, now=now) for item in by_party.values()):
        return "windows_lapsed"
    return None


# Waiting for the determination: its time limit runs (order 146 art. 24).
AWAITING_DETERMINATION = frozenset({CaseStatus.queued, CaseStatus.under_review})


def determination_overdue(case: Case, *, now: datetime) -> bool:
    """Queued or under review past the determination's time limit."""
    due = case.determination_due_at
    return case.status in AWAITING_DETERMINATION and due is not None and due <= now


def review_overdue(case: Case, *, now: datetime) -> bool:
    """A review still undecided past its time limit (art. 74)."""
    due = case.review_due_at
    return case.status == CaseStatus.review_requested and due is not None and due <= now
