"""The case state machine: which status may follow which (CONTRACT.md "Statuses";
shared target: STATES.md; the determination's life: order 146, DOMAIN.md).

awaiting_evidence (photos or a party's confirmation missing) → queued → under_review →
decided (认定书 delivered, review windows running) → review_requested → final | queued
(revoked: determined again); or under_review → final directly for an agreement case whose
协议书 the officer confirmed; decided → final when every window lapsed or every party stated
no objection. From final the compensation stage (disputes.stage): accepted (insurers
settle) | disputed → in_mediation | in_arbitration | in_litigation. referred_offline and
expired (never confirmed) are terminal.

Compensation disputes (issue 15): whatever settles the compensation in a dispute (a
mediated agreement, an arbitral award, a judgment, 诉前调解 at the court) moves the case to
awaiting_payment, where the insurers pay the claim lines; an accepted case stays accepted
while they pay (its lines come from the calculation). Either closes when every line is
paid. A refused 司法确认 or a rejected arbitration sends the case to court.
"""

from __future__ import annotations

from collections.abc import Mapping

from accident_online.models.case import CaseStatus

ALLOWED_TRANSITIONS: Mapping[CaseStatus, frozenset[CaseStatus]] = {
    # Photos and every party's confirmation in → the queue; never confirmed → expired.
    CaseStatus.awaiting_evidence: frozenset(
        {CaseStatus.queued, CaseStatus.referred_offline, CaseStatus.expired}
    ),
    # A correction asks that party's confirmation again: back to awaiting_evidence.
    CaseStatus.queued: frozenset(
        {CaseStatus.under_review, CaseStatus.awaiting_evidence, CaseStatus.referred_offline}
    ),
    # Released or lease expired → queued; more photos needed → awaiting_evidence; an
    # agreement confirmed (协议书) is final at once: nothing to review.
    CaseStatus.under_review: frozenset(
        {
            CaseStatus.decided,
            CaseStatus.final,
            CaseStatus.queued,
            CaseStatus.awaiting_evidence,
            CaseStatus.referred_offline,
        }
    ),
    # Delivered; each party's review window runs from its receipt (art. 71).
    CaseStatus.decided: frozenset({CaseStatus.review_requested, CaseStatus.final}),
    # Upheld → final; revoked → queued for a new determination (art. 74).
    CaseStatus.review_requested: frozenset({CaseStatus.final, CaseStatus.queued}),
    # Liability stands; each party chooses how compensation is settled (disputes.stage).
    CaseStatus.final: frozenset({CaseStatus.accepted, CaseStatus.disputed}),
    # All insurer_claim: insurers settle; every claim line paid closes the case.
    CaseStatus.accepted: frozenset({CaseStatus.closed}),
    CaseStatus.disputed: frozenset(
        {
            CaseStatus.in_mediation,
            CaseStatus.in_litigation,
            CaseStatus.in_arbitration,
            CaseStatus.closed,
        }
    ),
    # Agreed → the insurers pay (closed at once when nobody is owed anything); failed → court.
    CaseStatus.in_mediation: frozenset(
        {CaseStatus.awaiting_payment, CaseStatus.closed, CaseStatus.in_litigation}
    ),
    # An award → payment; the commission rejects the case → court.
    CaseStatus.in_arbitration: frozenset(
        {CaseStatus.awaiting_payment, CaseStatus.closed, CaseStatus.in_litigation}
    ),
    CaseStatus.in_litigation: frozenset({CaseStatus.awaiting_payment, CaseStatus.closed}),
    # Every line paid → closed; the court refuses to confirm the agreement → litigation.
    CaseStatus.awaiting_payment: frozenset({CaseStatus.closed, CaseStatus.in_litigation}),
    CaseStatus.closed: frozenset(),
    CaseStatus.referred_offline: frozenset(),
    CaseStatus.expired: frozenset(),
}

TERMINAL: frozenset[CaseStatus] = frozenset(s for s, nxt in ALLOWED_TRANSITIONS.items() if not nxt)
OPEN_FOR_OFFICERS: frozenset[CaseStatus] = frozenset(
    {CaseStatus.awaiting_evidence, CaseStatus.queued, CaseStatus.under_review}
)
# Before the decision: a party's details may still be corrected (after it: review).
BEFORE_DECISION: frozenset[CaseStatus] = OPEN_FOR_OFFICERS
# Liability stands (final, or agreed and confirmed): compensation may be chosen.
COMPENSATION_STAGE: frozenset[CaseStatus] = frozenset(
    {
        CaseStatus.final,
        CaseStatus.disputed,
        CaseStatus.in_mediation,
        CaseStatus.in_litigation,
        CaseStatus.in_arbitration,
    }
)


def can_transition(current: CaseStatus, target: CaseStatus) -> bool:
    return target in ALLOWED_TRANSITIONS[current]
