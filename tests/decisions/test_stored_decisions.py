"""Decisions stored before the decision was a model read, verify and stay as they were."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from sqlalchemy import JSON, column, select, table, update
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.models.case import Case

# The cases table as plain JSON, past the model's column type: what older code wrote.
CASES = table("cases", column("id"), column("status"), column("decision", JSON))

# A decision as stored before accounts had display names and badge numbers: no
# ``display_name``, ``badge_number`` or ``case_version``; and a key the model does not know.
OLD_DECISION: dict[str, Any] = {
    "liabilities": [
        {"party": 0, "grade": "none", "share_percent": 0, "label": "甲"},
        {"party": 1, "grade": "full", "share_percent": 100, "label": "乙"},
    ],
    "facts": "乙车变更车道时未让所借用车道内行驶的甲车先行，与甲车发生刮擦。",
    "legal_basis": "《道路交通安全法实施条例》第四十四条",
    "officer": {"id": str(uuid.UUID(int=7)), "username": "officer.li"},
    "center_id": "dongchangfu",
    "decided_at": "2026-11-20T10:15:00.123456+08:00",
    "agreement": None,
    "document": "liability_determination",
    "written_by_a_later_version": "kept",
}


def old_verification_hash(case_id: str, number: str, decision: dict[str, Any]) -> str:
    """The verification code as documents made before this change carry it."""
    canonical = json.dumps(
        {"case_id": case_id, "number": number, "decision": decision},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def test_a_decision_stored_before_verifies_the_same_and_is_kept_as_stored(
    client, session: AsyncSession, file_report, app_headers
) -> None:
    filed = (await file_report()).json()
    case_id = uuid.UUID(filed["id"])
    await session.exec(  # type: ignore[call-overload]
        update(CASES).where(CASES.c.id == case_id).values(status="decided", decision=OLD_DECISION)
    )
    await session.commit()

    document = await client.get(f"/v1/cases/{case_id}/decision/document", headers=app_headers)
    record = await client.get(f"/v1/cases/{case_id}", headers=app_headers)
    # Written again through the model with another change to the case.
    case = await session.get(Case, case_id)
    assert case is not None
    case.description = "补充说明。"
    flag_modified(case, "decision")  # written back even though it did not change
    await session.commit()
    stored = (await session.exec(select(CASES.c.decision).where(CASES.c.id == case_id))).one()

    assert document.status_code == 200, document.text
    assert document.headers["x-verification-hash"] == old_verification_hash(
        str(case_id), filed["number"], OLD_DECISION
    )
    assert record.json()["decision"] == OLD_DECISION
    assert stored.decision == OLD_DECISION
    assert list(stored.decision) == list(OLD_DECISION)
