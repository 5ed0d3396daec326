"""The case state machine: which status may follow which (CONTRACT.md "Statuses").

awaiting_evidence → queued → under_review → decided → accepted | disputed
→ in_mediation | in_litigation | in_arbitration → closed; referred_offline is terminal; an
officer may send under_review back to awaiting_evidence or queued.

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
    # Evidence complete → the queue; an officer may refer any open case offline.
    CaseStatus.awaiting_evidence: frozenset({CaseStatus.queued, CaseStatus.referred_offline}),
    CaseStatus.queued: frozenset(
        {CaseStatus.under_review, CaseStatus.awaiting_evidence, CaseStatus.referred_offline}
    ),
    # Released or lease expired → queued; more photos needed → awaiting_evidence.
    CaseStatus.under_review: frozenset(
        {
            CaseStatus.decided,
            CaseStatus.queued,
            CaseStatus.awaiting_evidence,
            CaseStatus.referred_offline,
        }
    ),
    CaseStatus.decided: frozenset({CaseStatus.accepted, CaseStatus.disputed}),
    # All accepted: insurers settle, claim.paid for every party closes the case.
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
}

TERMINAL: frozenset[CaseStatus] = frozenset(s for s, nxt in ALLOWED_TRANSITIONS.items() if not nxt)
OPEN_FOR_OFFICERS: frozenset[CaseStatus] = frozenset(
    {CaseStatus.awaiting_evidence, CaseStatus.queued, CaseStatus.under_review}
)


def can_transition(current: CaseStatus, target: CaseStatus) -> bool:
    return target in ALLOWED_TRANSITIONS[current]
