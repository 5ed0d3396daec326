"""What the decision document shows of the case record: each party with licence, vehicle,
owner, both policies and collision points, and the scene (DOMAIN.md "The record and the
documents"), in the words the document prints (models/codes.py)."""

from __future__ import annotations

from collections.abc import Mapping

from accident_online.cases.schemas import CaseRead, PartyRead
from accident_online.decisions.document import DocumentParty, DocumentScene
from accident_online.models.codes import (
    ACCIDENT_FORM_NAMES,
    COLLISION_POINT_NAMES,
    LIGHT_NAMES,
    ROAD_SURFACE_NAMES,
    WEATHER_NAMES,
)


def insurer_codes(record: CaseRead) -> list[str]:
    """Every insurer code of the case's policies, to look up their names."""
    codes = {party.compulsory_policy.insurer.code for party in record.parties}
    codes |= {p.commercial_policy.insurer.code for p in record.parties if p.commercial_policy}
    return sorted(codes)


def document_scene(record: CaseRead) -> DocumentScene:
    return DocumentScene(
        weather=WEATHER_NAMES[record.weather] if record.weather else None,
        road_surface=ROAD_SURFACE_NAMES[record.road_surface] if record.road_surface else None,
        light=LIGHT_NAMES[record.light] if record.light else None,
        accident_form=ACCIDENT_FORM_NAMES[record.accident_form] if record.accident_form else None,
    )


def document_parties(record: CaseRead, names: Mapping[str, str]) -> list[DocumentParty]:
    """The parties as the document shows them (masked as for the reader); ``names`` are the
    registered insurers' names by code (an unknown insurer shows its code)."""
    return [_party(party, names) for party in record.parties]


def _party(party: PartyRead, names: Mapping[str, str]) -> DocumentParty:
    compulsory = party.compulsory_policy
    commercial = party.commercial_policy
    commercial_line = None
    if commercial is not None:
        code = commercial.insurer.code
        parts = [f"保险公司 {names.get(code, code)}"]
        if commercial.policy_number:
            parts.append(f"保单号 {commercial.policy_number}")
        if commercial.third_party_cover is not None:
            parts.append(f"第三者责任险 {commercial.third_party_cover}元")
        if commercial.own_damage is not None:
            parts.append(f"车损险 {'有' if commercial.own_damage else '无'}")
        commercial_line = "  ".join(parts)
    return DocumentParty(
        index=party.party,
        name=party.name,
        id_number=party.id_number,
        phone=party.phone,
        plate=party.plate,
        insurer=names.get(compulsory.insurer.code, compulsory.insurer.code),
        licence_number=party.licence_number,
        vehicle_type=party.vehicle_type_name,
        policy_number=compulsory.policy_number,
        owner=(f"{party.owner.name}（身份证号 {party.owner.id_number}）" if party.owner else None),
        collision_points=tuple(COLLISION_POINT_NAMES[point] for point in party.collision_points),
        commercial=commercial_line,
    )
