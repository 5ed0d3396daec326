"""The compensation stage: once liability is final (or agreed), each party says how
compensation is to be settled (DOMAIN.md: mediation, arbitration and lawsuits are about
compensation, a separate question from liability).

Every party choosing ``insurer_claim`` → ``accepted``: the insurers settle, and their claim
lines are requested at once when every loss is assessed (disputes.compensation). Any other
choice opens its path at once, per COMPENSATION_PATHS: the case is ``disputed`` and goes
where the weightiest choice so far leads (a party that wants a judgment cannot be made to
mediate; arbitration, agreed in writing by every party, excludes the court).

With ``insurer_claim`` a party may agree to 互碰自赔 (``knock_for_knock_consent``); the
settlement applies it only when every party did (settlement.service.case_settlement). The
consent is given or withdrawn by answering ``insurer_claim`` again, until the compensation
is settled.

This module lives in disputes/ rather than decisions/ because it starts the settlement
(claims/, settlement/), which itself builds on decisions/.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository as cases_repository
from accident_online.cases.resolvers import assign_arbitration, assign_court, assign_mediation
from accident_online.cases.service import actor_of, append_event, transition
from accident_online.cases.state import COMPENSATION_STAGE
from accident_online.claims import service as claims
from accident_online.claims.rules import ClaimRules
from accident_online.decisions.exceptions import (
    AlreadyAnswered,
    ArbitrationAgreementMissing,
    ArbitrationExcludesCourt,
    KnockForKnockConsentClosed,
    NotAwaitingAnswers,
)
from accident_online.decisions.schemas import Resolution, ResponseCreate
from accident_online.disputes.compensation import settle_accepted_case
from accident_online.kit.i18n import _
from accident_online.kit.problems import ValidationFailed
from accident_online.models.case import Case, CaseResponse, CaseStatus


@dataclass(frozen=True, slots=True)
class CompensationPath:
    """Where a party's choice other than an insurer claim takes the case."""

    status: CaseStatus
    event_type: str
    # Finds the one organisation that takes it (cases.resolvers).
    assign: Callable[[AsyncSession, Case], Awaitable[object]]
    # The weightiest choice of the parties decides the path.
    weight: int


COMPENSATION_PATHS: Final[Mapping[Resolution, CompensationPath]] = MappingProxyType(
    {
        Resolution.mediation: CompensationPath(
            CaseStatus.in_mediation, "case.mediation_requested", assign_mediation, weight=1
        ),
        # Only with every party's arbitration agreement (仲裁法 第四条); it then excludes
        # the court (第五条), so it outweighs litigation, which cannot be chosen beside it.
        Resolution.arbitration: CompensationPath(
            CaseStatus.in_arbitration,
            "case.arbitration_requested",
            assign_arbitration,
            weight=4,
        ),
        Resolution.litigation: CompensationPath(
            CaseStatus.in_litigation, "case.litigation_requested", assign_court, weight=3
        ),
    }
)


async def answer_decision(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    body: ResponseCreate,
    *,
    rules: ClaimRules,
) -> Case:
    """One party's choice of how compensation is settled."""
    parties = (await cases_repository.parties_of(session, [case.id]))[case.id]
    if body.party >= len(parties):
        raise ValidationFailed.at(["body", "party"], f"party {body.party} does not exist")
    if body.knock_for_knock_consent and body.resolution != Resolution.insurer_claim:
        # 互碰自赔 is a way insurers settle: agreeing to it and choosing another way is no
        # answer the settlement could follow.
        raise ValidationFailed.at(
            ["body", "knock_for_knock_consent"],
            _("only with resolution insurer_claim"),
            detail=_(
                "Consent to 互碰自赔 (knock-for-knock) goes with resolution insurer_claim, "
                "not {resolution}.",
                resolution=body.resolution.value,
            ),
        )
    answered = (await cases_repository.responses_of(session, [case.id]))[case.id]
    previous = next((r for r in answered if r.party == body.party), None)
    if previous is not None and _changes_consent(previous, body):
        await _change_consent(session, principal, case, previous, body)
        return case
    if case.status not in COMPENSATION_STAGE:
        raise NotAwaitingAnswers()
    # Arbitration needs every party's written agreement, and then excludes the court.
    agreed = await cases_repository.arbitration_agreement_parties(session, case.id)
    everyone_agreed = agreed >= {party.index for party in parties}
    if body.resolution == Resolution.arbitration and not everyone_agreed:
        raise ArbitrationAgreementMissing()
    if body.resolution == Resolution.litigation and everyone_agreed:
        raise ArbitrationExcludesCourt()
    if previous is not None:
        raise AlreadyAnswered()
    session.add(
        CaseResponse(
            case_id=case.id,
            party=body.party,
            resolution=body.resolution.value,
            knock_for_knock_consent=body.knock_for_knock_consent,
        )
    )
    await append_event(
        session,
        case,
        type="case.response",
        actor=actor_of(principal),
        data=_response_data(body),
    )
    await session.flush()
    answers = (await cases_repository.responses_of(session, [case.id]))[case.id]
    await _settle_answers(
        session, case, answers, actor=actor_of(principal), party_count=len(parties), rules=rules
    )
    return case


def _response_data(body: ResponseCreate) -> dict[str, object]:
    """The data of the case.response event: the party's answer as it now stands."""
    return {
        "party": body.party,
        "resolution": body.resolution.value,
        "knock_for_knock_consent": body.knock_for_knock_consent,
    }


def _changes_consent(previous: CaseResponse, body: ResponseCreate) -> bool:
    """The party's insurer_claim again, with its consent to 互碰自赔 given or withdrawn."""
    return (
        previous.resolution == Resolution.insurer_claim
        and body.resolution == Resolution.insurer_claim
        and previous.knock_for_knock_consent != body.knock_for_knock_consent
    )


async def _change_consent(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    previous: CaseResponse,
    body: ResponseCreate,
) -> None:
    """Consent to 互碰自赔 is given or withdrawn until the compensation is settled: once
    the insurers were asked to pay (or another way settled it), it stands as it was."""
    open_statuses = COMPENSATION_STAGE | {CaseStatus.accepted}
    if case.status not in open_statuses or await claims.has_claims(session, case.id):
        raise KnockForKnockConsentClosed()
    previous.knock_for_knock_consent = body.knock_for_knock_consent
    session.add(previous)
    # Nothing else moves: an accepted case without claims still awaits an assessment or
    # an appraisal, which then requests them with the consent as it is by then.
    await append_event(
        session,
        case,
        type="case.response",
        actor=actor_of(principal),
        data=_response_data(body),
    )
    await session.flush()


async def _settle_answers(
    session: AsyncSession,
    case: Case,
    answers: Sequence[CaseResponse],
    *,
    actor: str,
    party_count: int,
    rules: ClaimRules,
) -> None:
    """Moves a final case once its answers say where it goes."""
    if case.status != CaseStatus.final:
        return
    others = [r for r in answers if r.resolution != Resolution.insurer_claim]
    if others:
        chosen = max((Resolution(r.resolution) for r in others), key=_weight)
        path = COMPENSATION_PATHS[chosen]
        case.resolution = chosen.value
        await path.assign(session, case)
        await transition(
            session,
            case,
            CaseStatus.disputed,
            actor=actor,
            event_type="case.disputed",
            data={"parties": [r.party for r in others]},
        )
        await transition(
            session,
            case,
            path.status,
            actor=actor,
            event_type=path.event_type,
            # Arbitration names who asked for it (cases.dispute_payloads), as before.
            data=(
                {"parties": [r.party for r in others if r.resolution == chosen]}
                if chosen == Resolution.arbitration
                else None
            ),
        )
    elif len(answers) == party_count:
        case.resolution = Resolution.insurer_claim
        await transition(
            session, case, CaseStatus.accepted, actor=actor, event_type="case.accepted"
        )
        # The insurers are asked to pay at once when every loss is already assessed;
        # otherwise the last assessment (external_events) opens the claims.
        await settle_accepted_case(session, case, actor=actor, rules=rules)


def _weight(resolution: Resolution) -> int:
    return COMPENSATION_PATHS[resolution].weight
