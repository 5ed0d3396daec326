"""The rows a report becomes: its parties with their policies, the scene on the case, and,
for a refused report, the reasons statistics count. Pure: nothing is written here."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from accident_online.intake.schemas import ReportCreate
from accident_online.kit.db import new_row
from accident_online.models.case import CaseParty


def insurer_codes(report: ReportCreate) -> list[str]:
    """Every insurer of every vehicle: the compulsory and the commercial one."""
    codes = [party.compulsory.insurer for party in report.parties]
    codes += [p.commercial_policy.insurer for p in report.parties if p.commercial_policy]
    return codes


def scene_columns(report: ReportCreate, *, late: bool) -> dict[str, Any]:
    """The case's columns of the scene as reported (weather, road, light, accident form)."""
    return {
        "weather": report.weather.value,
        "road_surface": report.road_surface.value if report.road_surface else None,
        "light": report.light.value if report.light else None,
        "accident_form": report.accident_form.value,
        "late": late,
    }


def party_rows(
    case_id: uuid.UUID, report: ReportCreate, *, connected: Mapping[str, str]
) -> list[CaseParty]:
    """The report's parties as rows; ``connected`` maps insurer codes to their partners."""
    rows = []
    for index, party in enumerate(report.parties):
        compulsory, commercial = party.compulsory, party.commercial_policy
        rows.append(
            new_row(
                CaseParty,
                case_id=case_id,
                index=index,
                name=party.name,
                phone=party.phone,
                id_number=party.id_number,
                licence_number=party.licence_number,
                plate=party.plate,
                vehicle_type=party.vehicle_type,
                owner_name=party.owner.name if party.owner else None,
                owner_id_number=party.owner.id_number if party.owner else None,
                collision_points=list(party.collision_points),
                insurer_code=compulsory.insurer,
                insurer_partner_id=connected.get(compulsory.insurer),
                policy_number=compulsory.policy_number,
                commercial_insurer_code=commercial.insurer if commercial else None,
                commercial_insurer_partner_id=(
                    connected.get(commercial.insurer) if commercial else None
                ),
                commercial_policy_number=commercial.policy_number if commercial else None,
                commercial_third_party_cover=commercial.third_party_cover if commercial else None,
                commercial_own_damage=commercial.own_damage if commercial else None,
            )
        )
    return rows


def refusal_rows(
    report: ReportCreate,
    reasons: Sequence[str],
    *,
    partner_id: str,
    idempotency_key: str,
    at: datetime,
) -> list[dict[str, Any]]:
    """A refused report's reasons, one row each (models/refusal.py)."""
    refusal_id = uuid.uuid4()
    return [
        {
            "refusal_id": refusal_id,
            "partner_id": partner_id,
            "idempotency_key": idempotency_key,
            "refused_at": at,
            "district": report.location.district,
            "reason": reason,
        }
        for reason in reasons
    ]
