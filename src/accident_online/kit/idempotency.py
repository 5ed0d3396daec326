"""Idempotency-Key for POSTs: a retry replays the first response instead of acting twice.

The route builds its answer before it writes (report intake): ``stored_first`` inserts
the key together with that answer as the first write of the request's own transaction,
so the answer and the request's effects commit together or not at all. A retry while
the first request runs is refused with 409 at once (in this process by ``required_key``,
across processes on PostgreSQL by an advisory lock); a retry after it committed replays
the stored answer; a request that died holding a key loses it when its lock expires.
"""

import hashlib
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from sqlalchemy import Table, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.db import BatchStep, execute_batch
from accident_online.kit.i18n import _
from accident_online.kit.idempotency_keys import IdempotencyKey
from accident_online.kit.problems import BadRequest, Conflict, ValidationFailed
from accident_online.kit.time import utc_now

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
    title = _("Idempotency-Key missing")
    default_detail = _("This request needs an Idempotency-Key header (a UUID is a good key).")


class IdempotencyKeyInvalid(BadRequest):
    code = "idempotency-key-invalid"
    title = _("Idempotency-Key invalid")
    default_detail = _("An Idempotency-Key is 1 to 255 printable ASCII characters.")


class IdempotencyKeyReused(ValidationFailed):
    code = "idempotency-key-reused"
    title = _("Idempotency-Key reused")
    default_detail = _("This Idempotency-Key was used for a different request; use a new key.")


class IdempotencyKeyInProgress(Conflict):
    code = "idempotency-key-in-progress"
    title = _("Request still running")
    default_detail = _("A request with this Idempotency-Key is still running; retry shortly.")


@dataclass(frozen=True)
class StoredAnswer:
    """A request's answer as stored with its key, and replayed from it."""

    status_code: int
    body: str
    headers: Mapping[str, str]


class Replay(Exception):
    """Raised when the stored first answer answers the request (sent by ``handle_replay``)."""

    def __init__(self, answer: StoredAnswer) -> None:
        self.answer = answer


def answer_response(answer: StoredAnswer) -> Response:
    """The HTTP response of a stored answer (a JSON body)."""
    return Response(
        answer.body,
        status_code=answer.status_code,
        headers=dict(answer.headers),
        media_type="application/json",
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
        StoredAnswer(
            status_code=row.response_status or 200, body=row.response_body or "", headers=headers
        )
    )


def _raise_unless_dead(row: Any, *, fingerprint: str, now: datetime) -> None:
    """Answers a request whose key is taken; returns only if its first holder died."""
    if row.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    if row.response_status is not None:
        raise _replay(row)
    if row.locked_until > now:
        raise IdempotencyKeyInProgress()


async def handle_replay(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Replay)
    return answer_response(exc.answer)


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
    answer: StoredAnswer,
    *,
    effects: Sequence[BatchStep] = (),
) -> StoredAnswer:
    """Stores the key with its answer, then the request's ``effects``; gives the answer.

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
        "response_status": answer.status_code,
        "response_body": answer.body,
        "response_headers": dict(answer.headers),
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
    return answer


async def is_answered(session: AsyncSession, keyed: KeyedRequest) -> bool:
    """Whether this client's key already has a stored answer (so the request is a replay)."""
    connection = await session.connection()
    row = (await connection.execute(_READ_KEY, {"client": keyed.client, "key": keyed.key})).first()
    return row is not None and row.response_status is not None
