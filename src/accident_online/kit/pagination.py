"""Cursor pagination: ``limit`` and an opaque ``cursor`` in, ``items`` and ``next_cursor`` out."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, or_

from accident_online.kit.i18n import _
from accident_online.kit.problems import BadRequest


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
        description="上一页的 next_cursor · next_cursor of the previous page.",
    )


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    if not _CURSOR.match(cursor):
        raise InvalidCursor()
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as error:
        raise InvalidCursor() from error


_CURSOR = re.compile(r"^[A-Za-z0-9_-]{2,}$")


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
