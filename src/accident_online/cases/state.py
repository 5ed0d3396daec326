"""The case state machine: which status may follow which (CONTRACT.md "Statuses").

awaiting_evidence → queued → under_review → decided → accepted | disputed
→ in_mediation | in_litigation → closed; referred_offline is terminal; an officer may
send under_review back to awaiting_evidence or queued.
"""

from __future__ import annotations

from collections.abc import Mapping

from accident_online.models.case import CaseStatus

S = CaseStatus

ALLOWED_TRANSITIONS: Mapping[CaseStatus, frozenset[CaseStatus]] = {
    # Evidence complete → the queue; an officer may refer any open case offline.
    S.awaiting_evidence: frozenset({S.queued, S.referred_offline}),
    S.queued: frozenset({S.under_review, S.awaiting_evidence, S.referred_offline}),
    # Released or lease expired → queued; more photos needed → awaiting_evidence.
    S.under_review: frozenset({S.decided, S.queued, S.awaiting_evidence, S.referred_offline}),
    S.decided: frozenset({S.accepted, S.disputed}),
    # All accepted: insurers settle, claim.paid for every party closes the case.
    S.accepted: frozenset({S.closed}),
    S.disputed: frozenset({S.in_mediation, S.in_litigation, S.closed}),
    # Failed mediation goes to court.
    S.in_mediation: frozenset({S.closed, S.in_litigation}),
    S.in_litigation: frozenset({S.closed}),
    S.closed: frozenset(),
    S.referred_offline: frozenset(),
}

TERMINAL: frozenset[CaseStatus] = frozenset(s for s, nxt in ALLOWED_TRANSITIONS.items() if not nxt)
OPEN_FOR_OFFICERS: frozenset[CaseStatus] = frozenset(
    {S.awaiting_evidence, S.queued, S.under_review}
)


def can_transition(current: CaseStatus, target: CaseStatus) -> bool:
    return target in ALLOWED_TRANSITIONS[current]
