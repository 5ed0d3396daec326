"""The officers' hot paths make a fixed number of queries, however much is stored (no N+1)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

from sqlalchemy import event

from accident_online.auth.service import principal_for_user


@contextlib.contextmanager
def counting(engine) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN")):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_queue_and_case_lookup_do_not_grow_with_the_data(
    client, engine, queued_case, make_user, auth_headers, report_body
) -> None:
    officer = auth_headers(principal_for_user(await make_user("officer.counter")))
    first = await queued_case()
    # Whether the token's account may still act is read once every few seconds, not
    # per request (auth.accounts): not part of what grows with the data.
    account_check = "token_version"

    with counting(engine) as one_case_queue:
        await client.get("/v1/centers/dongchangfu/queue", headers=officer)
    with counting(engine) as one_case_lookup:
        await client.get(f"/v1/cases/{first['id']}", headers=officer)

    for n in range(5):
        body = report_body()
        body["parties"][0]["plate"] = f"鲁P6{n:04d}"  # type: ignore[index]
        await queued_case(body)

    with counting(engine) as six_case_queue:
        listed = await client.get("/v1/centers/dongchangfu/queue", headers=officer)
    with counting(engine) as six_case_lookup:
        await client.get(f"/v1/cases/{first['id']}", headers=officer)

    def counted(statements: list[str]) -> int:
        return len([s for s in statements if account_check not in s])

    assert len(listed.json()["items"]) == 6
    assert counted(six_case_queue) == counted(one_case_queue) <= 4
    assert counted(six_case_lookup) == counted(one_case_lookup) <= 6


@contextlib.asynccontextmanager
async def counting_at_the_driver(connection) -> AsyncIterator[list[str]]:  # type: ignore[no-untyped-def]
    """Every statement the database driver sends, including any that bypass SQLAlchemy's
    events (sqlite3's trace callback; asyncpg's query logger)."""
    statements: list[str] = []
    driver = (await connection.get_raw_connection()).driver_connection

    def keep(statement: str) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN")):
            statements.append(statement)

    if connection.dialect.name == "sqlite":
        await driver.set_trace_callback(keep)
        try:
            yield statements
        finally:
            await driver.set_trace_callback(None)
    else:

        def logged(record) -> None:  # type: ignore[no-untyped-def]
            keep(record.query)

        driver.add_query_logger(logged)
        try:
            yield statements
        finally:
            driver.remove_query_logger(logged)


async def test_intake_uses_a_bounded_number_of_queries(client, db_connection, file_report) -> None:
    """Filing a report sends a handful of statements to the database, counted where
    they leave for it, so no path can hide its statements from the count."""
    await file_report()  # warm caches (e.g. the first sign-in of a partner)
    async with counting_at_the_driver(db_connection) as statements:
        response = await file_report()
    assert response.status_code == 201
    assert 1 <= len(statements) <= 12, statements
