"""Statistics in SQL: counts and percentiles are computed by the database, not in Python."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, literal, true
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.db import UTCDateTime
from accident_online.models.case import Case, CaseStatus
from accident_online.models.refusal import ReportRefusalReason
from accident_online.models.webhook import DeliveryStatus, WebhookAttempt, WebhookMessage


def _minutes_to_decision(dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", col(Case.decided_at) - col(Case.reported_at)) / 60.0
    return (func.julianday(col(Case.decided_at)) - func.julianday(col(Case.reported_at))) * 1440.0


async def counts_by_center(
    session: AsyncSession, *, since: datetime, until: datetime, centers: Sequence[str] | None
) -> dict[str, tuple[int, int, int]]:
    """center → (reports, decided online, referred offline) for cases reported in range."""
    query = (
        select(
            col(Case.center_id),
            func.count(),
            func.sum(case((col(Case.decided_at).is_not(None), 1), else_=0)),
            func.sum(case((col(Case.status) == CaseStatus.referred_offline, 1), else_=0)),
        )
        .where(col(Case.reported_at) >= since, col(Case.reported_at) < until)
        .group_by(col(Case.center_id))
    )
    if centers is not None:
        query = query.where(col(Case.center_id).in_(centers))
    rows = await session.exec(query)
    return {row[0]: (int(row[1]), int(row[2] or 0), int(row[3] or 0)) for row in rows}


async def decision_percentiles(
    session: AsyncSession,
    *,
    since: datetime,
    until: datetime,
    centers: Sequence[str] | None,
    by_center: bool,
) -> dict[str | None, tuple[float, float]]:
    """(median, p90) minutes from report to decision, nearest-rank, per center or overall."""
    dialect = session.get_bind().dialect.name
    minutes = _minutes_to_decision(dialect)
    partition = [col(Case.center_id)] if by_center else []
    key = col(Case.center_id) if by_center else literal(None)
    conditions = [
        col(Case.decided_at).is_not(None),
        col(Case.reported_at) >= since,
        col(Case.reported_at) < until,
    ]
    if centers is not None:
        conditions.append(col(Case.center_id).in_(centers))
    ranked = (
        sa_select(
            key.label("center_id"),
            cast(minutes, Float).label("minutes"),
            func.row_number().over(partition_by=partition, order_by=minutes).label("rank"),
            func.count().over(partition_by=partition).label("n"),
        )
        .where(and_(*conditions))
        .subquery()
    )
    # Nearest rank: the ceil(p·n)-th value, in integer arithmetic both databases share.
    median_rank = (ranked.c.n + 1) // 2
    p90_rank = (ranked.c.n * 9 + 9) // 10
    query = sa_select(
        ranked.c.center_id, ranked.c.rank, ranked.c.minutes, median_rank, p90_rank
    ).where((ranked.c.rank == median_rank) | (ranked.c.rank == p90_rank))
    connection = await session.connection()
    rows = (await connection.execute(query)).all()
    found: dict[str | None, dict[str, float]] = {}
    for center_id, rank, value, median_at, p90_at in rows:
        entry = found.setdefault(center_id, {})
        if rank == median_at:
            entry["median"] = float(value)
        if rank == p90_at:
            entry["p90"] = float(value)
    return {k: (v["median"], v["p90"]) for k, v in found.items() if "median" in v and "p90" in v}


async def delivery_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.exec(
        select(col(WebhookMessage.status), func.count())
        .where(col(WebhookMessage.status).in_([DeliveryStatus.pending, DeliveryStatus.dead]))
        .group_by(col(WebhookMessage.status))
    )
    return {str(status): int(count) for status, count in rows}


async def cases_by_center_and_status(session: AsyncSession) -> list[tuple[str, str, int]]:
    rows = await session.exec(
        select(col(Case.center_id), col(Case.status), func.count()).group_by(
            col(Case.center_id), col(Case.status)
        )
    )
    return [(center, str(status), int(count)) for center, status, count in rows]


async def messages_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.exec(
        select(col(WebhookMessage.status), func.count()).group_by(col(WebhookMessage.status))
    )
    return {str(status): int(count) for status, count in rows}


async def attempts_by_outcome(session: AsyncSession) -> dict[str, int]:
    rows = await session.exec(
        select(col(WebhookAttempt.outcome), func.count()).group_by(col(WebhookAttempt.outcome))
    )
    return {outcome: int(count) for outcome, count in rows}


async def oldest_due_message(session: AsyncSession, *, now: datetime) -> datetime | None:
    result = await session.exec(
        select(func.min(col(WebhookMessage.next_attempt_at))).where(
            col(WebhookMessage.status) == DeliveryStatus.pending,
            col(WebhookMessage.next_attempt_at) <= now,
        )
    )
    value = result.first()
    return UTCDateTime().process_result_value(value, session.get_bind().dialect) if value else None


async def overdue_by_center(session: AsyncSession, *, now: datetime) -> dict[str, tuple[int, int]]:
    """center → (determinations overdue, reviews overdue) now (order 146 art. 24, 74)."""
    waiting = col(Case.status).in_([CaseStatus.queued, CaseStatus.under_review])
    in_review = col(Case.status) == CaseStatus.review_requested
    query = (
        select(
            col(Case.center_id),
            func.sum(case((and_(waiting, col(Case.determination_due_at) <= now), 1), else_=0)),
            func.sum(case((and_(in_review, col(Case.review_due_at) <= now), 1), else_=0)),
        )
        .where(waiting | in_review)
        .group_by(col(Case.center_id))
    )
    rows = (await session.exec(query)).all()
    return {center: (int(late or 0), int(reviews or 0)) for center, late, reviews in rows}


async def late_reports_by_center(
    session: AsyncSession, *, since: datetime, until: datetime, centers: Sequence[str] | None
) -> dict[str, tuple[int, int]]:
    """center → (late reports, of those taken) for cases reported in range (order 146 art. 18)."""
    query = (
        select(
            col(Case.center_id),
            func.count(),
            func.sum(case((col(Case.late_taken_at).is_not(None), 1), else_=0)),
        )
        .where(
            col(Case.late).is_(True), col(Case.reported_at) >= since, col(Case.reported_at) < until
        )
        .group_by(col(Case.center_id))
    )
    if centers is not None:
        query = query.where(col(Case.center_id).in_(centers))
    rows = await session.exec(query)
    return {row[0]: (int(row[1]), int(row[2] or 0)) for row in rows}


async def refusals(
    session: AsyncSession,
    *,
    since: datetime | None,
    until: datetime | None,
    districts: Sequence[str] | None,
) -> tuple[int, dict[str, int]]:
    """Refused reports in range (in these districts, if given): how many, and how many
    failed each rule (a report failing several counts for each)."""
    reasons = ReportRefusalReason
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(col(reasons.refused_at) >= since)
    if until is not None:
        conditions.append(col(reasons.refused_at) < until)
    if districts is not None:
        conditions.append(col(reasons.district).in_(districts))
    where = and_(true(), *conditions)
    total = (
        await session.exec(select(func.count(func.distinct(col(reasons.refusal_id)))).where(where))
    ).one()
    rows = await session.exec(
        select(col(reasons.reason), func.count()).where(where).group_by(col(reasons.reason))
    )
    return int(total), {reason: int(count) for reason, count in rows}


async def late_reports_by_center_now(session: AsyncSession) -> dict[str, tuple[int, int]]:
    """center → (late reports, of those taken), all time: for the metrics."""
    rows = await session.exec(
        select(
            col(Case.center_id),
            func.count(),
            func.sum(case((col(Case.late_taken_at).is_not(None), 1), else_=0)),
        )
        .where(col(Case.late).is_(True))
        .group_by(col(Case.center_id))
    )
    return {row[0]: (int(row[1]), int(row[2] or 0)) for row in rows}
