"""A party and a late report as the case record shows them, masked per reader."""

from __future__ import annotations

from accident_online.cases.late_reports import LATE_REPORT_ADVICE, decide_by
from accident_online.cases.schemas import (
    CommercialPolicyRead,
    InsurerRead,
    LateReportRead,
    OwnerRead,
    PartyRead,
    PolicyRead,
)
from accident_online.models.case import Case, CaseParty
from accident_online.models.codes import vehicle_type_name
from accident_online.parties.labels import party_label
from accident_online.parties.masking import (
    mask_id_number,
    mask_licence_number,
    mask_name,
    mask_phone,
)


def party_read(party: CaseParty, *, full: bool) -> PartyRead:
    compulsory_insurer = _insurer_read(party.insurer_code, party.insurer_partner_id)
    commercial = None
    if party.commercial_insurer_code is not None:
        commercial = CommercialPolicyRead(
            insurer=_insurer_read(
                party.commercial_insurer_code, party.commercial_insurer_partner_id
            ),
            policy_number=party.commercial_policy_number,
            third_party_cover=party.commercial_third_party_cover,
            own_damage=party.commercial_own_damage,
        )
    elif party.commercial_third_party_cover is not None:
        commercial = CommercialPolicyRead(
            insurer=compulsory_insurer,
            policy_number=None,
            third_party_cover=party.commercial_third_party_cover,
            own_damage=None,
        )
    owner = None
    if party.owner_name is not None and party.owner_id_number is not None:
        owner = OwnerRead(
            name=party.owner_name if full else mask_name(party.owner_name),
            id_number=party.owner_id_number if full else mask_id_number(party.owner_id_number),
        )
    return PartyRead(
        party=party.index,
        label=party_label(party.index),
        name=party.name if full else mask_name(party.name),
        phone=party.phone if full else mask_phone(party.phone),
        id_number=party.id_number if full else mask_id_number(party.id_number),
        licence_number=party.licence_number if full else mask_licence_number(party.licence_number),
        plate=party.plate,
        vehicle_type=party.vehicle_type,
        vehicle_type_name=vehicle_type_name(party.vehicle_type),
        owner=owner,
        collision_points=party.collision_points,
        compulsory_policy=PolicyRead(insurer=compulsory_insurer, policy_number=party.policy_number),
        commercial_policy=commercial,
        insurer=compulsory_insurer,
        policy_number=party.policy_number,
        commercial_third_party_cover=party.commercial_third_party_cover,
        assessed_loss=party.assessed_loss,
        paid_amount=party.paid_amount,
        masked=not full,
    )


def _insurer_read(code: str, partner_id: str | None) -> InsurerRead:
    return InsurerRead(code=code, partner_id=partner_id, connected=partner_id is not None)


def late_report_read(case: Case) -> LateReportRead | None:
    if not case.late:
        return None
    return LateReportRead(
        decide_by=decide_by(case.reported_at),
        taken_at=case.late_taken_at,
        notice=LATE_REPORT_ADVICE,
    )
