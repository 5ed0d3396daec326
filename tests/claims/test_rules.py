"""The claim deadlines and the statistics' nearest rank, as plain functions."""

from datetime import UTC, datetime, timedelta

import pytest

from accident_online.claims.rules import (
    PAYMENT_DEADLINE_SOURCE,
    ClaimRules,
    is_overdue,
    objection_deadline,
    payment_due,
)
from accident_online.stats.compensation import nearest_rank

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_an_insurer_pays_within_ten_days_of_the_agreed_amount() -> None:
    assert payment_due(AT, ClaimRules()) == AT + timedelta(days=10)
    assert payment_due(AT, ClaimRules(payment_days=3)) == AT + timedelta(days=3)
    assert "第二十三条" in PAYMENT_DEADLINE_SOURCE


def test_parties_object_within_the_window() -> None:
    assert objection_deadline(AT, ClaimRules()) == AT + timedelta(days=5)


@pytest.mark.parametrize(
    ("due", "paid", "overdue"),
    [
        (AT - timedelta(seconds=1), False, True),
        (AT - timedelta(seconds=1), True, False),
        (AT, False, False),
        (AT + timedelta(days=1), False, False),
    ],
)
def test_a_claim_is_overdue_only_unpaid_and_past_its_date(due, paid, overdue) -> None:
    assert is_overdue(due_at=due, paid=paid, now=AT) is overdue


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        ([], None, None),
        ([7.0], 7.0, 7.0),
        ([1.0, 2.0], 1.0, 2.0),
        ([float(n) for n in range(1, 11)], 5.0, 9.0),
        ([5.0, 1.0, 3.0], 3.0, 5.0),
    ],
)
def test_nearest_rank(values, median, p90) -> None:
    assert nearest_rank(values, 0.5) == median
    assert nearest_rank(values, 0.9) == p90
