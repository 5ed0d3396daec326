"""Correcting a party's plate, phone, licence or insurer before the decision (DOMAIN.md:
users asked for a way to correct a wrong plate). The previous value stays on the timeline
(``case.corrected``) and that party confirms the corrected report again; after the decision
a party that disagrees applies for review instead."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository as cases_repository
from accident_online.cases.exceptions import CaseNotFound
from accident_online.cases.service import actor_of, append_event, transition
from accident_online.cases.state import BEFORE_DECISION
from accident_online.determinations.exceptions import NotBeforeDecision
from accident_online.determinations.schemas import PartyCorrection
from accident_online.kit.i18n import _
from accident_online.kit.problems import ValidationFailed
from accident_online.models.case import Case, CaseParty, CaseStatus
from accident_online.parties.masking import mask_licence_number, mask_phone
from accident_online.partners import repository as partners_repository

# Request field → the party's column; the timeline shows these masked, since every reader of
# the case (insurers of the other parties too) reads it.
_COLUMNS = {
    "plate": "plate",
    "phone": "phone",
    "licence_number": "licence_number",
    "insurer": "insurer_code",
}
_MASKED = {"phone": mask_phone, "licence_number": mask_licence_number}


async def correct_party(
    session: AsyncSession, principal: Principal, case: Case, index: int, body: PartyCorrection
) -> Case:
    if case.status not in BEFORE_DECISION:
        raise NotBeforeDecision()
    parties = (await cases_repository.parties_of(session, [case.id]))[case.id]
    party = next((p for p in parties if p.index == index), None)
    if party is None:
        raise CaseNotFound(_("The case has no party {party}.", party=index))
    changes = _apply(party, body, others=[p for p in parties if p.index != index])
    if not changes:
        return case
    if "insurer" in changes:
        connected, _with_url = await partners_repository.report_recipients(
            session, filer_id=case.filed_by_partner_id, insurer_codes=[party.insurer_code]
        )
        party.insurer_partner_id = connected.get(party.insurer_code)
    session.add(party)
    actor = actor_of(principal)
    await append_event(
        session, case, type="case.corrected", actor=actor, data={"party": index, **changes}
    )
    if any(item.party == index for item in case.confirmations):
        case.confirmations = [item for item in case.confirmations if item.party != index]
    if case.status != CaseStatus.awaiting_evidence:
        # Back to wait for the corrected party's confirmation; an officer holding it lets go.
        case.assigned_officer_id = None
        case.claim_expires_at = None
        await transition(
            session,
            case,
            CaseStatus.awaiting_evidence,
            actor=actor,
            event_type="case.reconfirmation_requested",
            data={"party": index},
        )
    await session.flush()
    return case


def _apply(party: CaseParty, body: PartyCorrection, *, others: list[CaseParty]) -> dict[str, Any]:
    """Sets the corrected fields; what changed, with the previous values, for the timeline."""
    if body.plate is not None and any(other.plate == body.plate for other in others):
        raise ValidationFailed.at(["body", "plate"], "another party has this plate")
    fields: list[str] = []
    previous: dict[str, str] = {}
    current: dict[str, str] = {}
    for name, column in _COLUMNS.items():
        value = getattr(body, name)
        old = getattr(party, column)
        if value is None or value == old:
            continue
        setattr(party, column, value)
        mask = _MASKED.get(name)
        fields.append(name)
        previous[name] = mask(old) if mask else old
        current[name] = mask(value) if mask else value
    if not fields:
        return {}
    return {"fields": fields, "previous": previous, "current": current}
