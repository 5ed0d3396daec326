"""Case numbers: unique per day, and the day's counter never holds up other reports."""

from __future__ import annotations

from sqlalchemy import text

from accident_online.cases.repository import next_case_number

DAY = "20261128"


async def test_a_report_in_progress_does_not_hold_the_days_counter(committed_app, backend) -> None:
    database = committed_app.state.database
    async with database.sessionmaker(write=True)() as first:
        taken = await next_case_number(first, DAY)
        if backend == "postgresql":
            # With the counter held by `first` until it ends, this would fail after 5 s.
            async with database.sessionmaker(write=True)() as second:
                await second.exec(text("SET lock_timeout = '5s'"))  # type: ignore[call-overload]
                assert await next_case_number(second, DAY) == taken + 1
                await second.commit()
        await first.rollback()  # the report failed after taking its number

    async with database.session(write=True) as third:
        following = await next_case_number(third, DAY)

    if backend == "postgresql":
        # Taken for good outside the report's transaction: unique, with a gap.
        assert following == taken + 2
    else:
        # SQLite serialises writers anyway: the number is taken inside the transaction
        # and given back with it.
        assert following == taken


async def test_a_number_taken_inside_a_transaction_leaves_its_commit_durable(
    committed_app, backend
) -> None:
    database = committed_app.state.database
    async with database.session(write=True) as session:
        await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        first = await next_case_number(session, DAY)
        second = await next_case_number(session, DAY)
        if backend == "postgresql":
            setting = (await session.exec(text("SHOW synchronous_commit"))).scalar()  # type: ignore[call-overload]
            assert setting == "on"
    assert second == first + 1
