"""Applying the signed events partners send: verify, deduplicate, check, change the case.

Order matters: the signature is checked on the raw bytes before anything is parsed;
the webhook-id is recorded (ON CONFLICT DO NOTHING) before the case is touched, in the
same transaction as the effect, so a replay, even a concurrent one, finds the row and
changes nothing; and an event that does not fit rolls back together with that row, so
the partner may send it again once the case is ready for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.service import principal_for_partner
from accident_online.cases import repository as cases_repository
from accident_online.cases.resolvers import assign_court
from accident_online.cases.service import append_event, load_visible_case, transition
from accident_online.claims.exceptions import ClaimNotCovered
from accident_online.claims.rules import ClaimRules
from accident_online.decisions.schemas import Resolution
from accident_online.external_events import repository
from accident_online.external_events.disputes import (
    DISPUTE_APPLIES_IN,
    DISPUTE_TYPES_BY_KIND,
    PAYMENT_APPLIES_IN,
    after_assessment,
    apply_dispute_event,
    check_assessment,
)
from accident_online.external_events.exceptions import (
    AmountOutOfRange,
    EventDoesNotFitCase,
    EventTypeNotForPartner,
    InvalidWebhookSignature,
    PartyNotInCase,
)
from accident_online.external_events.schemas import (
    PARTNER_EVENT,
    ClaimAssessed,
    ClaimOpened,
    ClaimPaid,
    InboundEventResult,
    MediationFailed,
    PartnerEvent,
)
from accident_online.kit.i18n import _
from accident_online.kit.problems import ProblemErrorItem, ValidationFailed
from accident_online.kit.signing import InvalidSignature, verify
from accident_online.models.case import Case, CaseParty, CaseStatus
from accident_online.models.partner import Partner, PartnerKind
from accident_online.partners import repository as partners_repository
from accident_online.partners.service import webhook_secrets

# CONTRACT.md "Webhooks", inbound: which partner kind sends which types.
EVENT_TYPES_BY_KIND: Mapping[PartnerKind, frozenset[str]] = {
    PartnerKind.insurer: frozenset({"claim.opened", "claim.assessed", "claim.paid"}),
    PartnerKind.mediation: frozenset({"mediation.agreed", "mediation.failed"}),
    PartnerKind.court: frozenset({"lawsuit.filed", "judgment.issued"})
    | DISPUTE_TYPES_BY_KIND[PartnerKind.court],
    PartnerKind.appraisal: DISPUTE_TYPES_BY_KIND[PartnerKind.appraisal],
    PartnerKind.arbitration: DISPUTE_TYPES_BY_KIND[PartnerKind.arbitration],
    PartnerKind.app: frozenset(),
}

# Insurers handle a claim once liability is decided (DOMAIN.md "Claim calculation"
# rests on the decision) and until the case is closed; a disputed case still has
# losses to assess, whoever ends up deciding the liability.
# Insurers open and assess claims from the decision on, through review and finality.
_CLAIMS_OPEN = frozenset(
    {
        CaseStatus.decided,
        CaseStatus.review_requested,
        CaseStatus.final,
        CaseStatus.accepted,
        CaseStatus.disputed,
        CaseStatus.in_mediation,
        CaseStatus.in_litigation,
        CaseStatus.in_arbitration,
    }
)

# Which statuses each event fits; any other → 409 and nothing changes.
APPLIES_IN: Mapping[str, frozenset[CaseStatus]] = {
    "claim.opened": _CLAIMS_OPEN,
    "claim.assessed": _CLAIMS_OPEN,
    # Payments go against the claim lines that settled compensation opened (claims/).
    "claim.paid": PAYMENT_APPLIES_IN,
    "mediation.agreed": frozenset({CaseStatus.in_mediation}),
    "mediation.failed": frozenset({CaseStatus.in_mediation}),
    "lawsuit.filed": frozenset({CaseStatus.in_litigation}),
    "judgment.issued": frozenset({CaseStatus.in_litigation}),
    **DISPUTE_APPLIES_IN,
}

MAX_WEBHOOK_ID_LENGTH = 128  # inbound_events.webhook_id


async def authenticate_partner(
    session: AsyncSession,
    partner_id: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    now: datetime,
) -> tuple[Partner, str]:
    """The partner, if the Standard Webhooks signature verifies with one of its secrets
    (the previous one too while a rotation runs), and the message's webhook-id."""
    partner = await partners_repository.get_partner(session, partner_id)
    if partner is None:
        # The same answer as a bad signature: the path reveals no partner ids.
        raise InvalidWebhookSignature()
    try:
        verify(webhook_secrets(partner, now=now), body=body, headers=headers)
    except InvalidSignature as error:
        raise InvalidWebhookSignature() from error
    webhook_id = headers["webhook-id"]
    if len(webhook_id) > MAX_WEBHOOK_ID_LENGTH:
        raise ValidationFailed.at(
            ["header", "webhook-id"], f"at most {MAX_WEBHOOK_ID_LENGTH} characters"
        )
    return partner, webhook_id


def parse_event(body: bytes) -> PartnerEvent:
    """The event, validated; a 422 listing every invalid field otherwise."""
    try:
        return PARTNER_EVENT.validate_json(body)
    except ValidationError as error:
        raise ValidationFailed(
            errors=[
                ProblemErrorItem(
                    loc=["body", *_field_path(item["loc"])],
                    msg=str(item["msg"]).removeprefix("Value error, "),
                    type=item["type"],
                )
                for item in error.errors(include_url=False)
            ]
        ) from error


def _field_path(loc: tuple[int | str, ...]) -> list[int | str]:
    # A discriminated union puts the tag first ("claim.paid", "data", "amount").
    if loc and loc[0] in APPLIES_IN:
        loc = loc[1:]
    return [part if isinstance(part, int) else str(part) for part in loc]


async def apply_partner_event(
    session: AsyncSession,
    partner: Partner,
    *,
    webhook_id: str,
    event: PartnerEvent,
    max_amount: Decimal,
    rules: ClaimRules,
) -> InboundEventResult:
    if event.type not in EVENT_TYPES_BY_KIND[PartnerKind(partner.kind)]:
        raise EventTypeNotForPartner.at(
            ["body", "type"],
            _("not accepted from this partner"),
            detail=_(
                "A {kind} partner does not send {event_type} events.",
                kind=partner.kind,
                event_type=event.type,
            ),
        )
    if not await _record_once(session, partner, webhook_id=webhook_id, event=event):
        return InboundEventResult(status="duplicate")
    principal = principal_for_partner(partner)
    # Another partner's case is answered 404, exactly like one that does not exist.
    case = await load_visible_case(session, principal, event.data.case_id, for_update=True)
    party = await _party_named_in(session, case, event)
    allowed = APPLIES_IN[event.type]
    if case.status not in allowed:
        raise EventDoesNotFitCase(
            _(
                "{event_type} applies to a case that is {allowed}; this case is {status}. "
                "Nothing was changed; send it again once the case is there.",
                event_type=event.type,
                allowed=" / ".join(sorted(s.value for s in allowed)),
                status=case.status,
            )
        )
    if isinstance(event, ClaimAssessed | ClaimPaid):
        assert party is not None
        await _check_claim(session, partner, case, party, event, max_amount=max_amount)
    actor = principal.subject
    data = _timeline_data(event, webhook_id)
    if await apply_dispute_event(
        session, partner, case, party, event, actor=actor, data=data, rules=rules
    ):
        await session.flush()
        return InboundEventResult(status="applied", case_version=case.version)
    match event:
        case ClaimOpened():
            await append_event(session, case, type=event.type, actor=actor, data=data)
        case ClaimAssessed():
            assert party is not None
            await check_assessment(session, case, party)
            if party.assessed_loss is not None:
                data["replaces"] = str(party.assessed_loss)
            party.assessed_loss = event.data.assessed_loss
            session.add(party)
            await append_event(session, case, type=event.type, actor=actor, data=data)
            await session.flush()
            await after_assessment(session, case, actor=actor, rules=rules)
        case MediationFailed():
            await append_event(session, case, type=event.type, actor=actor, data=data)
            # Mediation failed: the court decides (cases.state: in_mediation → in_litigation);
            # the resolution makes the case visible to the court, the event notifies it.
            case.resolution = Resolution.litigation.value
            await assign_court(session, case)
            await transition(
                session,
                case,
                CaseStatus.in_litigation,
                actor=actor,
                event_type="case.litigation_requested",
                data={"reason": "mediation_failed"},
            )
    await session.flush()
    return InboundEventResult(status="applied", case_version=case.version)


async def _check_claim(
    session: AsyncSession,
    partner: Partner,
    case: Case,
    party: CaseParty,
    event: ClaimAssessed | ClaimPaid,
    *,
    max_amount: Decimal,
) -> None:
    """An insurer's figures stay within bounds: it assesses its own insured's loss; what
    it pays is checked against the claim lines it was asked to pay (claims.service)."""
    amount = event.data.assessed_loss if isinstance(event, ClaimAssessed) else event.data.amount
    field = "assessed_loss" if isinstance(event, ClaimAssessed) else "amount"
    if amount > max_amount:
        raise AmountOutOfRange.at(
            ["body", "data", field],
            f"at most {max_amount}",
            detail=_(
                "{event} carries {amount} yuan; this service accepts at most {max_amount}.",
                event=event.type,
                amount=amount,
                max_amount=max_amount,
            ),
        )
    if isinstance(event, ClaimAssessed) and party.insurer_partner_id != partner.id:
        raise ClaimNotCovered(
            _(
                "Party {party} is not insured by {partner}: its loss is assessed "
                "by its own insurer. Nothing was changed.",
                party=party.index,
                partner=partner.id,
            )
        )


async def _record_once(
    session: AsyncSession, partner: Partner, *, webhook_id: str, event: PartnerEvent
) -> bool:
    """Records the webhook-id; False if it was recorded before (or is being, concurrently:
    the insert then waits for that transaction and finds the row if it commits)."""
    return await repository.record_inbound_event(
        session,
        partner_id=partner.id,
        webhook_id=webhook_id,
        type=event.type,
        case_id=str(event.data.case_id),
    )


async def _party_named_in(
    session: AsyncSession, case: Case, event: PartnerEvent
) -> CaseParty | None:
    index = getattr(event.data, "party", None)
    if index is None:
        return None
    parties = (await cases_repository.parties_of(session, [case.id]))[case.id]
    for party in parties:
        if party.index == index:
            return party
    raise PartyNotInCase.at(
        ["body", "data", "party"],
        _("no such party in the case"),
        detail=_(
            "The case has parties 0 to {last}; there is no party {index}.",
            last=len(parties) - 1,
            index=index,
        ),
    )


def _timeline_data(event: PartnerEvent, webhook_id: str) -> dict[str, Any]:
    data: dict[str, Any] = event.data.model_dump(
        mode="json", exclude={"case_id"}, exclude_none=True
    )
    return {**data, "webhook_id": webhook_id, "sent_at": event.timestamp.isoformat()}
