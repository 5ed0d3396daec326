"""Cursor pagination: ``limit`` and an opaque ``cursor`` in, ``items`` and ``next_cursor`` out."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, or_

from accident_online.kit.fields import CONTROL_CHARACTERS
from accident_online.kit.i18n import _
from accident_online.kit.problems import BadRequest
from accident_online.kit.time import within_range


class InvalidCursor(BadRequest):
    code = "invalid-cursor"
    title = _("Invalid cursor")
    default_detail = _("The cursor is not one this service gave out; start again without it.")


class PageParams(BaseModel):
    limit: int = Field(
        default=50, ge=1, le=200, description="每页条数，最多 200 · Items per page, at most 200."
    )
    cursor: str | None = Field(
        default=None,
        max_length=512,
        description="上一页的 next_cursor，原样传回；其他值返回 400 invalid-cursor · The "
        "`next_cursor` of the previous page, as given: any other value is 400 `invalid-cursor`.",
        # Documented, not checked here: decode_cursor answers any other value with 400;
        # an empty one is no cursor (the first page).
        json_schema_extra={"pattern": "^([A-Za-z0-9_-]{2,})?$"},
    )


T = TypeVar("T")
K = TypeVar("K")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


# A cursor is base64url (unpadded) of UTF-8 text the service wrote: a key (``page_of``),
# a sequence number, or a timestamp and an id. Decoding is strict, because a cursor comes
# back from the client and goes into a query: only the encoding this module writes is
# taken (one spelling per cursor), and what it holds must be a value the database can
# compare (no control characters, aware and ordinary timestamps, integers that fit).
_CURSOR = re.compile(r"^[A-Za-z0-9_-]{2,}$")
_SEQUENCE = re.compile(r"^[0-9]{1,10}$")
_MAX_SEQUENCE = 2**31 - 1  # an INTEGER column on PostgreSQL
_SEPARATOR = "|"


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The text key of a cursor made by ``encode_cursor``; ``InvalidCursor`` for any other."""
    if not _CURSOR.match(cursor):
        raise InvalidCursor()
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        key = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as error:
        raise InvalidCursor() from error
    if encode_cursor(key) != cursor or CONTROL_CHARACTERS.search(key):
        raise InvalidCursor()
    return key


def encode_sequence_cursor(seq: int) -> str:
    return encode_cursor(str(seq))


def decode_sequence_cursor(cursor: str) -> int:
    """The sequence number of a cursor made by ``encode_sequence_cursor``."""
    key = decode_cursor(cursor)
    if not _SEQUENCE.match(key) or int(key) > _MAX_SEQUENCE:
        raise InvalidCursor()
    return int(key)


def encode_keyset_cursor(at: datetime, id_: object) -> str:
    """A cursor for a listing ordered by (``at``, ``id_``)."""
    return encode_cursor(f"{at.astimezone(UTC).isoformat()}{_SEPARATOR}{id_}")


def decode_keyset_cursor(cursor: str, id_type: Callable[[str], K]) -> tuple[datetime, K]:
    """The (timestamp, id) of a cursor made by ``encode_keyset_cursor``; ``id_type`` parses
    the id (e.g. ``uuid.UUID``) and raises ``ValueError`` for a bad one."""
    at_text, separator, id_text = decode_cursor(cursor).partition(_SEPARATOR)
    try:
        at = datetime.fromisoformat(at_text)
        id_ = id_type(id_text)
    except ValueError as error:
        raise InvalidCursor() from error
    if not separator or _SEPARATOR in id_text or at.tzinfo is None or not within_range(at):
        raise InvalidCursor()
    return at, id_


def page_of(rows: Sequence[T], *, limit: int, key: Callable[[T], str]) -> Page[T]:
    """A page from ``limit + 1`` rows: the extra row only tells that there is a next page."""
    items = list(rows[:limit])
    next_cursor = encode_cursor(key(items[-1])) if len(rows) > limit else None
    return Page[T](items=items, next_cursor=next_cursor)


def before_key(at: Any, id_: Any, key: tuple[Any, Any]) -> ColumnElement[bool]:
    """Rows after ``key`` in a newest-first listing ordered by the columns (``at``, ``id_``)
    descending: the keyset condition for its next page."""
    at_value, id_value = key
    return or_(at < at_value, (at == at_value) & (id_ < id_value))


def after_key(at: Any, id_: Any, key: tuple[Any, Any]) -> ColumnElement[bool]:
    """Rows after ``key`` in an oldest-first listing ordered by (``at``, ``id_``)."""
    at_value, id_value = key
    return or_(at > at_value, (at == at_value) & (id_ > id_value))
