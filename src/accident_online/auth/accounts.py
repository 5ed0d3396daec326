"""Whether the account behind a token still exists, is enabled, and still accepts it.

A signed token proves who it was issued to, not that the account may still act: an
admin may have disabled it (or rotated a partner's secret) since. Every authenticated
request checks the account's ``token_version`` and ``disabled_at``, read from the
database and remembered per process for a few seconds (``ACCOUNT_CHECK_SECONDS``): so a
revocation reaches every process within that time, at one small query per account
and process every few seconds rather than one per request.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import Table, select
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.kit.db import Database
from accident_online.models.partner import Partner
from accident_online.models.user import User

_MAX_ENTRIES = 10_000
_USERS: Table = User.__table__  # type: ignore[attr-defined]
_PARTNERS: Table = Partner.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class AccountState:
    token_version: int
    disabled: bool


async def read_state(session: AsyncSession, subject: str) -> AccountState | None:
    """The account named by a token's subject (``user:<id>`` or ``partner:<id>``), if any."""
    kind, _, account_id = subject.partition(":")
    key: object
    if kind == "user":
        try:
            key = uuid.UUID(account_id)
        except ValueError:
            return None
        table = _USERS
    elif kind == "partner":
        key, table = account_id, _PARTNERS
    else:
        return None
    connection = await session.connection()
    row = (
        await connection.execute(
            select(table.c.token_version, table.c.disabled_at).where(table.c.id == key)
        )
    ).first()
    if row is None:
        return None
    return AccountState(token_version=row[0], disabled=row[1] is not None)


class AccountStates:
    """A per-process cache of account states, each trusted for ``ttl_seconds``."""

    def __init__(self, *, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._states: OrderedDict[str, tuple[float, AccountState | None]] = OrderedDict()

    async def accepts(self, database: Database, principal: Principal) -> bool:
        state = await self.state(database, principal.subject)
        return (
            state is not None
            and not state.disabled
            and state.token_version == principal.token_version
        )

    async def state(self, database: Database, subject: str) -> AccountState | None:
        now = time.monotonic()
        cached = self._states.get(subject)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        async with database.session(write=False) as session:
            state = await read_state(session, subject)
        self._states[subject] = (now, state)
        self._states.move_to_end(subject)
        if len(self._states) > _MAX_ENTRIES:
            self._states.popitem(last=False)
        return state

    def forget(self, subject: str) -> None:
        """This process changed the account: its next request reads it again at once."""
        self._states.pop(subject, None)
