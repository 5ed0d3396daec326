"""The case state machine (cases/state.py) as CONTRACT.md "Statuses" and the determination's
legal life (order 146) describe it: the statuses, every allowed step, and only those."""

from __future__ import annotations

import pytest

from accident_online.cases.state import ALLOWED_TRANSITIONS, TERMINAL, can_transition
from accident_online.models.case import CaseStatus as S

# The whole table, step by step, with the reason for each.
EXPECTED = {
    (S.awaiting_evidence, S.queued),  # photos in and every party confirmed
    (S.awaiting_evidence, S.referred_offline),
    (S.awaiting_evidence, S.expired),  # some party never confirmed
    (S.queued, S.under_review),  # an officer claims it
    (S.queued, S.awaiting_evidence),  # a correction asks a party's confirmation again
    (S.queued, S.referred_offline),
    (S.under_review, S.decided),  # the 认定书
    (S.under_review, S.final),  # an agreement confirmed: the 协议书, nothing to review
    (S.under_review, S.queued),  # released, or the lease ran out
    (S.under_review, S.awaiting_evidence),  # more photos, or a correction
    (S.under_review, S.referred_offline),
    (S.decided, S.review_requested),  # a party applies for 复核 within its window
    (S.decided, S.final),  # every window lapsed, or every party stated no objection
    (S.review_requested, S.final),  # upheld
    (S.review_requested, S.queued),  # revoked: determined again
    (S.final, S.accepted),  # every party chose an insurer claim
    (S.final, S.disputed),  # a party chose mediation, arbitration or litigation
    (S.accepted, S.closed),  # every claim line of the calculation paid
    (S.disputed, S.in_mediation),
    (S.disputed, S.in_litigation),
    (S.disputed, S.in_arbitration),  # every party's arbitration agreement recorded
    (S.disputed, S.closed),
    # Compensation disputes (issue 15): what settles the compensation leads to payment.
    (S.in_mediation, S.awaiting_payment),  # mediated agreement with amounts owed
    (S.in_mediation, S.closed),  # agreed, nothing owed
    (S.in_mediation, S.in_litigation),  # failed
    (S.in_arbitration, S.awaiting_payment),  # the award
    (S.in_arbitration, S.closed),  # an award of nothing
    (S.in_arbitration, S.in_litigation),  # the commission rejected the case
    (S.in_litigation, S.awaiting_payment),  # judgment or 诉前调解 with amounts
    (S.in_litigation, S.closed),
    (S.awaiting_payment, S.closed),  # every claim line paid
    (S.awaiting_payment, S.in_litigation),  # the court refused 司法确认
}


def test_the_statuses_are_the_contracts() -> None:
    assert [s.value for s in S] == [
        "awaiting_evidence",
        "queued",
        "under_review",
        "decided",
        "accepted",
        "disputed",
        "in_mediation",
        "in_litigation",
        "in_arbitration",
        "awaiting_payment",
        "closed",
        "referred_offline",
        "review_requested",
        "final",
        "expired",
    ]
    assert set(ALLOWED_TRANSITIONS) == set(S)
    assert {S.closed, S.referred_offline, S.expired} == TERMINAL


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_exactly_the_expected_steps_are_allowed(current: S, target: S) -> None:
    assert can_transition(current, target) is ((current, target) in EXPECTED)


def test_every_status_is_reached_from_a_new_report() -> None:
    reached, frontier = {S.awaiting_evidence}, [S.awaiting_evidence]
    while frontier:
        for nxt in ALLOWED_TRANSITIONS[frontier.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                frontier.append(nxt)
    assert reached == set(S)


def test_a_decision_is_final_before_compensation_is_chosen() -> None:
    """No road from a decision to the compensation stage but through `final`."""
    compensation = {
        S.accepted,
        S.disputed,
        S.in_mediation,
        S.in_litigation,
        S.in_arbitration,
        S.awaiting_payment,
    }
    for status in (S.decided, S.review_requested):
        assert not ALLOWED_TRANSITIONS[status] & compensation
