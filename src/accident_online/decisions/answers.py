"""The parties' answers to a decision, and silence taken as acceptance after the deadline.

Each party accepts or disputes; once every party has accepted the case is accepted, and one
dispute sends it to mediation or, if any party wants a judgment, to the court.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository as cases_repository
from accident_online.cases.resolvers import assign_arbitration, assign_court, assign_mediation
from accident_online.cases.service import SYSTEM_ACTOR, actor_of, append_event, transition
from accident_online.decisions import repository
from accident_online.decisions.exceptions import (
    AlreadyAnswered,
    ArbitrationAgreementMissing,
    ArbitrationExcludesCourt,
    NotAwaitingAnswers,
)
from accident_online.decisions.schemas import Resolution, ResponseCreate
from accident_online.kit.i18n import _
from accident_online.kit.problems import ValidationFailed
from accident_online.models.case import Case, CaseResponse, CaseStatus


async def answer_decision(
    session: AsyncSession, principal: Principal, case: Case, body: ResponseCreate
) -> Case:
    """One party's answer: accept, or dispute and choose mediation or the court."""
    parties = (await cases_repository.parties_of(session, [case.id]))[case.id]
    if body.party >= len(parties):
        raise ValidationFailed.at(["body", "party"], f"party {body.party} does not exist")
    if not body.accepts and body.resolution == Resolution.insurer_claim:
        raise ValidationFailed.at(
            ["body", "resolution"],
            _("a party that disputes the decision chooses mediation or litigation"),
        )
    # Arbitration needs every party's written agreement, and then excludes the court.
    agreed = await cases_repository.arbitration_agreement_parties(session, case.id)
    everyone_agreed = agreed >= {party.index for party in parties}
    if body.resolution == Resolution.arbitration and not everyone_agreed:
        raise ArbitrationAgreementMissing()
    if body.resolution == Resolution.litigation and everyone_agreed:
        raise ArbitrationExcludesCourt()
    if case.status not in (
        CaseStatus.decided,
        CaseStatus.disputed,
        CaseStatus.in_mediation,
        CaseStatus.in_litigation,
        CaseStatus.in_arbitration,
    ):
        raise NotAwaitingAnswers()
    answered = (await cases_repository.responses_of(session, [case.id]))[case.id]
    if any(r.party == body.party for r in answered):
        raise AlreadyAnswered()
    session.add(
        CaseResponse(
            case_id=case.id,
            party=body.party,
            accepts=body.accepts,
            resolution=body.resolution.value,
        )
    )
    await append_event(
        session,
        case,
        type="case.response",
        actor=actor_of(principal),
        data={"party": body.party, "accepts": body.accepts, "resolution": body.resolution.value},
    )
    await session.flush()
    await _settle_answers(session, case, actor=actor_of(principal), party_count=len(parties))
    return case


async def _settle_answers(
    session: AsyncSession, case: Case, *, actor: str, party_count: int
) -> None:
    """Moves the case once its answers say where it goes."""
    if case.status != CaseStatus.decided:
        return
    answers = (await cases_repository.responses_of(session, [case.id]))[case.id]
    disputes = [r for r in answers if not r.accepts]
    if disputes:
        # Court over mediation: a party that wants a judgment cannot be made to mediate.
        # Arbitration, agreed by every party, excludes the court.
        litigation = any(r.resolution == Resolution.litigation for r in disputes)
        arbitration = any(r.resolution == Resolution.arbitration for r in disputes)
        if arbitration:
            await _to_arbitration(session, case, actor=actor, disputes=disputes)
            return
        case.resolution = Resolution.litigation if litigation else Resolution.mediation
        if litigation:
            await assign_court(session, case)
        else:
            await assign_mediation(session, case)
        await transition(
            session,
            case,
            CaseStatus.disputed,
            actor=actor,
            event_type="case.disputed",
            data={"parties": [r.party for r in disputes]},
        )
        if litigation:
            await transition(
                session,
                case,
                CaseStatus.in_litigation,
                actor=actor,
                event_type="case.litigation_requested",
            )
        else:
            await transition(
                session,
                case,
                CaseStatus.in_mediation,
                actor=actor,
                event_type="case.mediation_requested",
            )
    elif len(answers) == party_count:
        case.resolution = Resolution.insurer_claim
        await transition(
            session, case, CaseStatus.accepted, actor=actor, event_type="case.accepted"
        )


async def _to_arbitration(
    session: AsyncSession, case: Case, *, actor: str, disputes: list[CaseResponse]
) -> None:
    case.resolution = Resolution.arbitration
    await assign_arbitration(session, case)
    parties = [r.party for r in disputes]
    await transition(
        session,
        case,
        CaseStatus.disputed,
        actor=actor,
        event_type="case.disputed",
        data={"parties": parties},
    )
    await transition(
        session,
        case,
        CaseStatus.in_arbitration,
        actor=actor,
        event_type="case.arbitration_requested",
        data={"parties": [r.party for r in disputes if r.resolution == Resolution.arbitration]},
    )


async def apply_response_deadlines(session: AsyncSession, *, now: datetime) -> int:
    """After the deadline, a party's silence counts as acceptance (recorded as such)."""
    cases = await repository.cases_past_response_deadline(session, now=now)
    ids = [case.id for case in cases]
    # One query each for every due case's parties and answers, not two per case.
    parties_by_case = await cases_repository.parties_of(session, ids)
    responses_by_case = await cases_repository.responses_of(session, ids)
    count = 0
    for case in cases:
        parties = parties_by_case[case.id]
        answered = {r.party for r in responses_by_case[case.id]}
        silent = [p.index for p in parties if p.index not in answered]
        for index in silent:
            session.add(
                CaseResponse(
                    case_id=case.id,
                    party=index,
                    accepts=True,
                    resolution=Resolution.insurer_claim.value,
                    by_deadline=True,
                )
            )
        await append_event(
            session,
            case,
            type="case.response_deadline_passed",
            actor=SYSTEM_ACTOR,
            data={"parties_deemed_to_accept": silent},
        )
        await session.flush()
        await _settle_answers(session, case, actor=SYSTEM_ACTOR, party_count=len(parties))
        count += 1
    return count
