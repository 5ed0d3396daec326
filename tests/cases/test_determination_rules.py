"""The determination's time limits and conditions, as pure functions (order 146)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accident_online.cases.determination_rules import (
    final_by_receipts,
    missing_confirmations,
    review_window_open,
)
from accident_online.models.determination import ConfirmationRecord, ReceiptRecord

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=3)


def receipt(party: int, *, days_ago: float, no_objection: bool = False) -> ReceiptRecord:
    return ReceiptRecord(
        party=party,
        received_at=(NOW - timedelta(days=days_ago)).isoformat(),
        signed=True,
        no_objection=no_objection,
    )


def test_missing_confirmations_lists_the_parties_not_yet_confirmed() -> None:
    confirmed = [
        ConfirmationRecord(
            party=1, method="sms_code", confirmed_at=NOW.isoformat(), recorded_at=NOW.isoformat()
        )
    ]
    assert missing_confirmations(3, confirmed) == [0, 2]
    assert missing_confirmations(2, []) == [0, 1]


@pytest.mark.parametrize(
    ("given", "open_"),
    [
        (None, True),  # not delivered yet: the window has not started
        (receipt(0, days_ago=2.9), True),
        (receipt(0, days_ago=3.0), False),  # art. 71: within 3 days of delivery
        (receipt(0, days_ago=0, no_objection=True), False),  # waived
    ],
)
def test_the_review_window_runs_from_the_receipt(given, open_) -> None:
    assert review_window_open(given, window=WINDOW, now=NOW) is open_


@pytest.mark.parametrize(
    ("receipts", "because"),
    [
        ([], None),
        ([receipt(0, days_ago=4)], None),  # party 1 has not received it
        ([receipt(0, days_ago=4), receipt(1, days_ago=1)], None),
        ([receipt(0, days_ago=4), receipt(1, days_ago=3.5)], "windows_lapsed"),
        ([receipt(0, days_ago=4), receipt(1, days_ago=0, no_objection=True)], "windows_lapsed"),
        (
            [receipt(0, days_ago=0, no_objection=True), receipt(1, days_ago=0, no_objection=True)],
            "no_objection",
        ),
    ],
)
def test_liability_is_final_when_no_party_can_ask_for_review(receipts, because) -> None:
    assert final_by_receipts(receipts, party_count=2, window=WINDOW, now=NOW) == because
