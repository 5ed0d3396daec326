"""The cases' SQL: one case as its reader may see it, children loaded per case in bulk,
numbers, events, lists."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, func
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.grouping import group_by
from accident_online.kit.pagination import after_key, before_key
from accident_online.models.case import (
    Case,
    CaseEvent,
    CaseNumberCounter,
    CaseParty,
    CaseResponse,
    CaseStatus,
    Evidence,
)
from accident_online.models.dispute import ArbitrationAgreement


async def find_case(
    session: AsyncSession,
    case_id: uuid.UUID,
    *,
    visible: ColumnElement[bool],
    for_update: bool = False,
) -> Case | None:
    """The case with ``case_id`` if it meets ``visible`` (cases/access.py::visible_to)."""
    query = select(Case).where(Case.id == case_id, visible)
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def parties_of(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CaseParty]]:
    if not case_ids:
        return {}
    rows = await session.exec(
        select(CaseParty)
        .where(col(CaseParty.case_id).in_(case_ids))
        .order_by(col(CaseParty.case_id), col(CaseParty.index))
    )
    return group_by(case_ids, rows, key=lambda row: row.case_id, value=lambda row: row)


async def evidence_of(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Evidence]]:
    if not case_ids:
        return {}
    rows = await session.exec(
        select(Evidence)
        .where(col(Evidence.case_id).in_(case_ids))
        .order_by(col(Evidence.uploaded_at), col(Evidence.id))
    )
    return group_by(case_ids, rows, key=lambda row: row.case_id, value=lambda row: row)


async def plates_of(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """Each case's plates in party order: for lists, without loading whole parties."""
    if not case_ids:
        return {}
    rows = await session.exec(
        select(CaseParty.case_id, CaseParty.plate)
        .where(col(CaseParty.case_id).in_(case_ids))
        .order_by(col(CaseParty.case_id), col(CaseParty.index))
    )
    return group_by(case_ids, rows, key=lambda row: row[0], value=lambda row: row[1])


async def evidence_kinds_of(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[str, int | None]]]:
    """Each case's photos as (kind, party): what lists need to say what is missing."""
    if not case_ids:
        return {}
    rows = await session.exec(
        select(Evidence.case_id, Evidence.kind, Evidence.party).where(
            col(Evidence.case_id).in_(case_ids)
        )
    )
    return group_by(case_ids, rows, key=lambda row: row[0], value=lambda row: (row[1], row[2]))


async def responses_of(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CaseResponse]]:
    if not case_ids:
        return {}
    rows = await session.exec(
        select(CaseResponse)
        .where(col(CaseResponse.case_id).in_(case_ids))
        .order_by(col(CaseResponse.party))
    )
    return group_by(case_ids, rows, key=lambda row: row.case_id, value=lambda row: row)


# PostgreSQL: the day's counter row is a hot spot every report writes. Taken inside the
# report's transaction, its lock is held until that transaction commits and reports queue
# on it one commit at a time. So it is taken in a transaction of its own, before the
# report's, with an asynchronous commit (no wait for the disk while the row is locked).
# Safe: a report's own commit is synchronous and flushes the log up to and including
# the counter, so a number is durable before any case carrying it is. A report that then
# fails leaves a gap; numbers are unique, not gapless.
_PG_NEXT_CASE_NUMBER = """
INSERT INTO case_number_counters (day, last)
SELECT $1, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS asynchronous
ON CONFLICT (day) DO UPDATE SET last = case_number_counters.last + 1
RETURNING last
"""
_PG_NEXT_CASE_NUMBER_IN_TRANSACTION = """
INSERT INTO case_number_counters (day, last) VALUES ($1, 1)
ON CONFLICT (day) DO UPDATE SET last = case_number_counters.last + 1
RETURNING last
"""


async def next_case_number(session: AsyncSession, day: str) -> int:
    """The day's next serial, taken for good even if the caller's transaction rolls back.

    Call it before the session's first statement: on PostgreSQL it then runs outside the
    request's transaction (see above); otherwise, and on SQLite, where writers are
    serialised anyway, it runs inside it.
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        if driver.is_in_transaction():
            # Never make a caller's own transaction commit asynchronously.
            return int(await driver.fetchval(_PG_NEXT_CASE_NUMBER_IN_TRANSACTION, day))
        return int(await driver.fetchval(_PG_NEXT_CASE_NUMBER, day))
    return int((await connection.execute(_SQLITE_NEXT_CASE_NUMBER, {"day": day})).scalar_one())


def _sqlite_next_case_number() -> Any:
    counters: Table = CaseNumberCounter.__table__  # type: ignore[attr-defined]
    return (
        sqlite_insert(counters)
        .values(day=bindparam("day"), last=1)
        .on_conflict_do_update(index_elements=[counters.c.day], set_={"last": counters.c.last + 1})
        .returning(counters.c.last)
    )


_SQLITE_NEXT_CASE_NUMBER = _sqlite_next_case_number()


async def add_event(session: AsyncSession, event: CaseEvent) -> None:
    session.add(event)


async def list_events(
    session: AsyncSession, case_id: uuid.UUID, *, after_seq: int, limit: int
) -> Sequence[CaseEvent]:
    return (
        await session.exec(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id, col(CaseEvent.seq) > after_seq)
            .order_by(col(CaseEvent.seq))
            .limit(limit)
        )
    ).all()


async def queue_depths(session: AsyncSession) -> dict[str, int]:
    rows = await session.exec(
        select(Case.center_id, func.count())
        .where(Case.status == CaseStatus.queued)
        .group_by(Case.center_id)
    )
    return dict(rows.all())


async def list_cases(
    session: AsyncSession,
    *,
    visibility: Any,
    status: CaseStatus | None,
    center_id: str | None,
    plate: str | None,
    since: datetime | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Case]:
    """Newest first; ``visibility`` is the caller's where-clause (see cases.access)."""
    query = select(Case).where(visibility)
    if status is not None:
        query = query.where(Case.status == status)
    if center_id is not None:
        query = query.where(Case.center_id == center_id)
    if since is not None:
        query = query.where(col(Case.reported_at) >= since)
    if plate is not None:
        query = query.where(
            col(Case.id).in_(select(CaseParty.case_id).where(CaseParty.plate == plate))
        )
    if before is not None:
        query = query.where(before_key(col(Case.reported_at), col(Case.id), before))
    query = query.order_by(col(Case.reported_at).desc(), col(Case.id).desc()).limit(limit)
    return (await session.exec(query)).all()


async def next_queued_case(session: AsyncSession, center_id: str) -> Case | None:
    """The center's longest-waiting queued case, locked for this transaction.

    PostgreSQL: SKIP LOCKED passes over a case another officer's transaction is taking,
    so officers asking at once get different cases instead of waiting for each other.
    SQLite renders no lock: its one writer at a time serialises the callers.
    """
    query = (
        select(Case)
        .where(Case.center_id == center_id, Case.status == CaseStatus.queued)
        .order_by(col(Case.queued_at), col(Case.id))
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await session.exec(query)).first()


async def queued_cases(
    session: AsyncSession,
    center_id: str,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Case]:
    """A center's queue, oldest first (index ix_cases_center_status_queued)."""
    query = select(Case).where(Case.center_id == center_id, Case.status == CaseStatus.queued)
    if after is not None:
        query = query.where(after_key(col(Case.queued_at), col(Case.id), after))
    query = query.order_by(col(Case.queued_at), col(Case.id)).limit(limit)
    return (await session.exec(query)).all()


async def arbitration_agreement_parties(session: AsyncSession, case_id: uuid.UUID) -> set[int]:
    """The parties whose written arbitration agreement is recorded (disputes.proceedings)."""
    rows = await session.exec(
        select(ArbitrationAgreement.party).where(ArbitrationAgreement.case_id == case_id)
    )
    return set(rows)
