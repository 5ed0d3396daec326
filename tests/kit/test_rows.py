"""``new_row`` builds the object a table model's constructor builds, and the ORM writes it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlmodel import SQLModel, select

from accident_online.cases.state import CaseStatus
from accident_online.kit.db.rows import new_row
from accident_online.models.case import Case, CaseEvent, CaseParty
from accident_online.models.codes import CollisionPoint
from accident_online.models.partner import Partner, PartnerKind
from accident_online.models.webhook import DeliveryStatus, WebhookMessage

AT = datetime(2026, 11, 28, 0, 15, tzinfo=UTC)
CASE_ID = uuid.UUID("6f1c1f4e-58f5-4a53-9d87-0d8f4f0f6a01")


def case_values(**overrides: Any) -> dict[str, Any]:
    return {
        "id": CASE_ID,
        "number": "LC20261128-9001",
        "status": CaseStatus.awaiting_evidence,
        "center_id": "dongchangfu",
        "home_center_id": "dongchangfu",
        "routing_reason": "home",
        "filed_by_partner_id": "app-rows",
        "occurred_at": AT,
        "reported_at": AT,
        "updated_at": AT,
        "latitude": 36.4567,
        "longitude": 115.9855,
        "address": "山东省聊城市东昌府区东昌路与柳园路交叉口",
        "district": "371502",
        "eligibility_answers": {"injuries": False},
        **overrides,
    }


def party_values(index: int) -> dict[str, Any]:
    return {
        "case_id": CASE_ID,
        "index": index,
        "name": "张伟",
        "phone": "13805350001",
        "id_number": "371502199001011234",
        "licence_number": "371502199001011234",
        "plate": f"鲁P1234{index}",
        "vehicle_type": "K33",
        "collision_points": [CollisionPoint("right_front")],
        "insurer_code": "PICC",
        "policy_number": "PDZA202637150000012345",
        "commercial_third_party_cover": Decimal("1000000.00"),
    }


EXAMPLES: list[tuple[type[SQLModel], dict[str, Any]]] = [
    (Case, case_values()),
    (CaseParty, party_values(0)),
    (
        CaseEvent,
        {"case_id": CASE_ID, "seq": 1, "type": "case.reported", "at": AT, "actor": "app"},
    ),
    (
        WebhookMessage,
        {
            "id": "msg_rows",
            "partner_id": "app-rows",
            "event_type": "case.reported",
            "case_id": str(CASE_ID),
            "case_version": 2,
            "body": "{}",
            "created_at": AT,
            "next_attempt_at": AT,
        },
    ),
    (
        Partner,
        {
            "id": "app-rows",
            "kind": PartnerKind.app,
            "name": "rows",
            "client_secret_hash": "x",
            "webhook_secret": "y",
            "created_at": AT,
        },
    ),
]


@pytest.mark.parametrize(("model", "values"), EXAMPLES, ids=lambda v: getattr(v, "__name__", ""))
def test_a_new_row_is_what_the_constructor_makes(model: type[SQLModel], values: dict) -> None:
    made, built = new_row(model, **values), model(**values)
    assert type(made) is model
    # Every field, the defaults included (default factories given where they would differ).
    assert made.model_dump() == built.model_dump()
    assert made.model_fields_set == built.model_fields_set == set(values)
    assert inspect(made).transient


def test_mutable_defaults_are_not_shared_and_factories_run_per_row() -> None:
    first, second = new_row(Case, **case_values()), new_row(Case, **case_values())
    first.confirmations.append({"party": 0})  # type: ignore[arg-type]
    assert second.confirmations == []
    assert second.requested_evidence == []
    events = [new_row(CaseEvent, case_id=CASE_ID, seq=n, type="t", actor="a") for n in (1, 2)]
    assert events[0].data is not events[1].data
    values = case_values()
    values.pop("id")
    assert new_row(Case, **values).id != new_row(Case, **values).id


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no fields"):
        new_row(CaseEvent, case_id=CASE_ID, seq=1, type="t", actor="a", colour="red")


async def test_the_orm_writes_new_rows_and_tracks_later_changes(database) -> None:
    """Added to a session, new rows are inserted with every value; a change made after
    is written by the next flush, as with objects from the constructor."""
    async with database.session(write=True) as session:
        partner = new_row(Partner, **dict(EXAMPLES[-1][1]))
        case = new_row(Case, **case_values())
        parties = [new_row(CaseParty, **party_values(index)) for index in (0, 1)]
        event = new_row(CaseEvent, case_id=CASE_ID, seq=1, type="case.reported", at=AT, actor="a")
        message = new_row(WebhookMessage, **dict(EXAMPLES[3][1]))
        session.add(partner)
        await session.flush()
        session.add_all([case, *parties, event, message])
        await session.flush()
        case.version += 1
        case.status = CaseStatus.queued
        event.data = {"late": False}
        await session.flush()
        session.expunge_all()

        stored = (await session.exec(select(Case).where(Case.id == CASE_ID))).one()
        assert (stored.version, stored.status, stored.number) == (2, "queued", "LC20261128-9001")
        assert stored.eligibility_answers == {"injuries": False}
        assert (stored.confirmations, stored.late, stored.description) == ([], False, "")
        stored_parties = (
            await session.exec(select(CaseParty).where(CaseParty.case_id == CASE_ID))
        ).all()
        assert sorted(p.plate for p in stored_parties) == ["鲁P12340", "鲁P12341"]
        assert stored_parties[0].commercial_third_party_cover == Decimal("1000000.00")
        stored_event = (
            await session.exec(select(CaseEvent).where(CaseEvent.case_id == CASE_ID))
        ).one()
        assert (stored_event.seq, stored_event.data, stored_event.at) == (1, {"late": False}, AT)
        stored_message = (
            await session.exec(select(WebhookMessage).where(WebhookMessage.id == "msg_rows"))
        ).one()
        assert (stored_message.status, stored_message.attempts) == (DeliveryStatus.pending, 0)
        await session.rollback()
