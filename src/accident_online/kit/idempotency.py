"""Idempotency-Key for POSTs: a retry replays the first response instead of acting twice.

The key is claimed in its own short transaction, so that a second request with the same
key sees it at once (409 while the first runs) in every API process. The first
response is stored in the request's own transaction, together with its effects: either
both commit or neither does. A failed request gives its key back, so the client may
retry; a request that died holding a key loses it when its lock expires.

A hot route that can build its answer before it writes (report intake) skips the claim:
``stored_first`` inserts the key together with its answer as the first write of the
request's own transaction. A concurrent duplicate then waits on that row (PostgreSQL) or
on the write lock (SQLite) and replays the answer once the first commits; one
transaction and one statement instead of two transactions and three statements.
"""

import hashlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy import Table, bindparam, delete, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.db import (
    BatchStep,
    Database,
    SessionDep,
    after_rollback,
    execute_batch,
    upserting_insert,
)
from accident_online.kit.problems import BadRequest, Conflict, ValidationFailed
from accident_online.kit.time import utc_now
from accident_online.models.idempotency import IdempotencyKey

KEEP_FOR = timedelta(hours=24)
_KEY_DESCRIPTION = "Makes retries safe: the same key and body replay the first answer."
# How the OpenAPI document shows the header on a route that requires it (the route's
# `openapi_extra`). The dependency reads it as optional all the same, so that a missing
# key is this service's 400 idempotency-key-missing rather than FastAPI's 422.
REQUIRED_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": _KEY_DESCRIPTION + " Required here.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        # Printable ASCII; no spaces at either end, which HTTP would strip anyway.
        "pattern": r"^[!-~]([ -~]*[!-~])?$",
        "examples": ["5f0c2a1e-8d3b-4c6f-9a7e-1b2c3d4e5f60"],
    },
}
# A request still "running" after this is taken to have died with its process.
LOCK_FOR = timedelta(seconds=60)
REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotencyKeyMissing(BadRequest):
    code = "idempotency-key-missing"
    title = "Idempotency-Key missing"
    default_detail = "This request needs an Idempotency-Key header (a UUID is a good key)."


class IdempotencyKeyInvalid(BadRequest):
    code = "idempotency-key-invalid"
    title = "Idempotency-Key invalid"
    default_detail = "An Idempotency-Key is 1 to 255 printable ASCII characters."


class IdempotencyKeyReused(ValidationFailed):
    code = "idempotency-key-reused"
    title = "Idempotency-Key reused"
    default_detail = "This Idempotency-Key was used for a different request; use a new key."


class IdempotencyKeyInProgress(Conflict):
    code = "idempotency-key-in-progress"
    title = "Request still running"
    default_detail = "A request with this Idempotency-Key is still running; retry shortly."


class Replay(Exception):
    """Raised before the route runs when the stored first response answers the request."""

    def __init__(self, response: Response) -> None:
        self.response = response


@dataclass
class IdempotentCall:
    """The key a request holds, if it sent one."""

    client: str | None = None
    key: str | None = None

    async def respond(
        self,
        session: AsyncSession,
        model: BaseModel,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """The response, stored with the request's effects when the request holds a key."""
        body = model.model_dump_json()
        if self.key is not None:
            await session.exec(
                update(IdempotencyKey)
                .where(IdempotencyKey.client == self.client, IdempotencyKey.key == self.key)  # type: ignore[arg-type]
                .values(
                    response_status=status_code, response_body=body, response_headers=headers or {}
                )
            )
        return Response(
            body, status_code=status_code, headers=headers, media_type="application/json"
        )


def _fingerprint(method: str, path: str, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def _replay(row: Any) -> Replay:
    headers = {**(row.response_headers or {}), REPLAYED_HEADER: "true"}
    return Replay(
        Response(
            row.response_body or "",
            status_code=row.response_status or 200,
            headers=headers,
            media_type="application/json",
        )
    )


async def _claim(
    database: Database, *, client: str, key: str, method: str, path: str, fingerprint: str
) -> None:
    now = utc_now()
    async with database.session(write=True) as session:
        row = await session.get(IdempotencyKey, (client, key), with_for_update=True)
        if row is not None and row.expires_at <= now:
            await session.delete(row)
            await session.flush()
            row = None
        if row is None:
            result = await session.exec(
                upserting_insert(session)(IdempotencyKey)
                .values(
                    client=client,
                    key=key,
                    method=method,
                    path=path,
                    request_hash=fingerprint,
                    locked_until=now + LOCK_FOR,
                    created_at=now,
                    expires_at=now + KEEP_FOR,
                )
                .on_conflict_do_nothing()
            )
            if result.rowcount == 1:
                return
            row = await session.get(IdempotencyKey, (client, key), populate_existing=True)
            if row is None:  # given back in between; the client may simply retry
                raise IdempotencyKeyInProgress()
        _raise_unless_dead(row, fingerprint=fingerprint, now=now)
        row.locked_until = now + LOCK_FOR  # the first holder died; take the key over
        session.add(row)


def _raise_unless_dead(row: Any, *, fingerprint: str, now: datetime) -> None:
    """Answers a request whose key is taken; returns only if its first holder died."""
    if row.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    if row.response_status is not None:
        raise _replay(row)
    if row.locked_until > now:
        raise IdempotencyKeyInProgress()


async def _give_back(database: Database, *, client: str, key: str) -> None:
    async with database.session(write=True) as session:
        await session.exec(
            delete(IdempotencyKey).where(
                IdempotencyKey.client == client,  # type: ignore[arg-type]
                IdempotencyKey.key == key,  # type: ignore[arg-type]
                IdempotencyKey.response_status.is_(None),  # type: ignore[union-attr]
            )
        )


def idempotency(
    *, required: bool, client_of: Callable[..., Any]
) -> Callable[..., AsyncIterator[IdempotentCall]]:
    """A dependency holding the request's Idempotency-Key for the route's duration.

    ``client_of`` is a dependency giving the caller's id: keys are per client. A route
    that requires the key declares it with ``openapi_extra`` and ``REQUIRED_KEY_PARAMETER``.
    """

    async def hold_key(
        request: Request,
        # Listed so that the request's transaction exists around this key's lifetime.
        session: SessionDep,
        client: Annotated[Any, Depends(client_of)],
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                description=_KEY_DESCRIPTION,
                include_in_schema=not required,
            ),
        ] = None,
    ) -> AsyncIterator[IdempotentCall]:
        if idempotency_key is None:
            if required:
                raise IdempotencyKeyMissing()
            yield IdempotentCall()
            return
        if (
            not (1 <= len(idempotency_key) <= 255)
            or not idempotency_key.isprintable()
            or not idempotency_key.isascii()
        ):
            raise IdempotencyKeyInvalid()
        client_id = str(getattr(client, "subject", client))
        database: Database = request.app.state.database
        fingerprint = _fingerprint(request.method, request.url.path, await request.body())
        await _claim(
            database,
            client=client_id,
            key=idempotency_key,
            method=request.method,
            path=request.url.path,
            fingerprint=fingerprint,
        )

        async def give_back() -> None:
            await _give_back(database, client=client_id, key=idempotency_key)

        after_rollback(request, give_back)
        yield IdempotentCall(client=client_id, key=idempotency_key)

    return hold_key


async def handle_replay(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Replay)
    return exc.response


@dataclass(frozen=True)
class KeyedRequest:
    """A request's Idempotency-Key, whose client sent it, and what the request was."""

    client: str
    key: str
    method: str
    path: str
    fingerprint: str


def required_key(*, client_of: Callable[..., Any]) -> Callable[..., AsyncIterator[KeyedRequest]]:
    """A dependency holding the required Idempotency-Key, for routes using ``stored_first``.

    A second request with a key this process is still answering is refused at once with
    409 (CONTRACT.md). Across processes, ``stored_first`` does the same on PostgreSQL.
    """

    async def hold_key(
        request: Request,
        client: Annotated[Any, Depends(client_of)],
        idempotency_key: Annotated[
            str | None,
            Header(alias="Idempotency-Key", description=_KEY_DESCRIPTION, include_in_schema=False),
        ] = None,
    ) -> AsyncIterator[KeyedRequest]:
        if idempotency_key is None:
            raise IdempotencyKeyMissing()
        if (
            not (1 <= len(idempotency_key) <= 255)
            or not idempotency_key.isprintable()
            or not idempotency_key.isascii()
        ):
            raise IdempotencyKeyInvalid()
        path = request.url.path
        keyed = KeyedRequest(
            client=str(getattr(client, "subject", client)),
            key=idempotency_key,
            method=request.method,
            path=path,
            fingerprint=_fingerprint(request.method, path, await request.body()),
        )
        state = request.app.state
        if not hasattr(state, "idempotency_keys_in_flight"):
            state.idempotency_keys_in_flight = set()
        in_flight: set[tuple[str, str]] = state.idempotency_keys_in_flight
        held = (keyed.client, keyed.key)
        if held in in_flight:
            raise IdempotencyKeyInProgress()
        in_flight.add(held)
        try:
            yield keyed
        finally:
            in_flight.discard(held)

    return hold_key


_KEYS: Table = IdempotencyKey.__table__  # type: ignore[attr-defined]


def _taking_over_dead_keys(statement: Any) -> Any:
    """A key kept past its 24 hours, or held by a request that died, is taken over."""
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[_KEYS.c.client, _KEYS.c.key],
        set_={
            column.name: new[column.name]
            for column in _KEYS.c
            if column.name not in ("client", "key")
        },
        where=(_KEYS.c.expires_at <= new.created_at)
        | (_KEYS.c.response_status.is_(None) & (_KEYS.c.locked_until <= new.created_at)),
    ).returning(_KEYS.c.client)


def _postgresql_store_first_statement() -> Any:
    """Stores the key only while no other transaction is storing it: a request
    whose key another process is still answering gets 409 at once instead of waiting on
    that row (CONTRACT.md). The transaction-scoped advisory lock on the key's 64-bit hash
    is held until the first request's transaction ends; if it is taken, nothing is
    inserted, the key row is not yet visible, and ``stored_first`` answers 409."""
    client = bindparam("client", type_=_KEYS.c.client.type)
    key = bindparam("key", type_=_KEYS.c.key.type)
    values = [
        client
        if column.name == "client"
        else key
        if column.name == "key"
        else bindparam(column.name, type_=column.type)
        for column in _KEYS.c
    ]
    guarded = select(*values).where(
        # Literal SQL, not binds: every bind here is one of the row's values.
        func.pg_try_advisory_xact_lock(
            func.hashtextextended(
                func.concat(client, literal_column("' '"), key), literal_column("0")
            )
        )
    )
    return _taking_over_dead_keys(
        pg_insert(_KEYS).from_select([column.name for column in _KEYS.c], guarded)
    )


_STORE_FIRST = {
    "postgresql": _postgresql_store_first_statement(),
    "sqlite": _taking_over_dead_keys(sqlite_insert(_KEYS)),
}
_READ_KEY = select(
    _KEYS.c.request_hash,
    _KEYS.c.response_status,
    _KEYS.c.response_body,
    _KEYS.c.response_headers,
    _KEYS.c.locked_until,
).where(_KEYS.c.client == bindparam("client"), _KEYS.c.key == bindparam("key"))


async def stored_first(
    session: AsyncSession,
    keyed: KeyedRequest,
    *,
    status_code: int,
    body: str,
    headers: dict[str, str],
    effects: Sequence[BatchStep] = (),
) -> Response:
    """Stores the key with its answer, then the request's ``effects``, and gives the answer.

    The key is the transaction's first write, and all of it goes to the database in one
    batch (``execute_batch``). When the key is taken, nothing is written and this raises
    instead: the first answer replayed, 422 for a key used for another request, 409 while
    another request holds it.
    """
    now = utc_now()
    connection = await session.connection()
    key_row = {
        "client": keyed.client,
        "key": keyed.key,
        "method": keyed.method,
        "path": keyed.path,
        "request_hash": keyed.fingerprint,
        "response_status": status_code,
        "response_body": body,
        "response_headers": headers,
        "locked_until": now,
        "created_at": now,
        "expires_at": now + KEEP_FOR,
    }
    store = BatchStep(_STORE_FIRST[connection.dialect.name], [key_row])
    if not await execute_batch(session, [store, *effects]):
        row = (
            await connection.execute(_READ_KEY, {"client": keyed.client, "key": keyed.key})
        ).first()
        if row is None:  # given back in between; the client may simply retry
            raise IdempotencyKeyInProgress()
        _raise_unless_dead(row, fingerprint=keyed.fingerprint, now=now)
        raise IdempotencyKeyInProgress()  # not reached: a dead holder's key was taken over
    return Response(body, status_code=status_code, headers=headers, media_type="application/json")


async def is_answered(session: AsyncSession, keyed: KeyedRequest) -> bool:
    """Whether this client's key already has a stored answer (so the request is a replay)."""
    connection = await session.connection()
    row = (await connection.execute(_READ_KEY, {"client": keyed.client, "key": keyed.key})).first()
    return row is not None and row.response_status is not None
