import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, PlainSerializer, WithJsonSchema

# China keeps one offset all year (no daylight saving since 1991): a fixed +08:00 gives the
# same text as Asia/Shanghai without a time zone database.
BEIJING = timezone(timedelta(hours=8), "CST")


def utc_now() -> datetime:
    return datetime.now(UTC)


def in_beijing(value: datetime) -> datetime:
    """The same instant on Beijing's clock; a naive value is taken as UTC (how we store)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BEIJING)


# The date and time part of RFC 3339; pydantic checks the rest, the offset included.
_RFC3339_START = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _rfc3339_text(value: object) -> object:
    # Without this, pydantic takes a number, or a string of digits, for Unix time.
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339_START.match(value)):
        return value
    raise ValueError("expected an RFC 3339 date-time with offset, e.g. 2026-11-28T08:15:00+08:00")


# What a date-time from a client may be: wide enough for any real record, narrow enough
# that UTC conversion and the arithmetic on it (30 days before an `until`) cannot leave
# the years Python and the databases know (1-9999): 9999-12-31T23:59:59-14:00 is year
# 10000 in UTC.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def within_range(value: datetime) -> bool:
    """Whether an aware ``value`` lies in [EARLIEST, LATEST)."""
    try:
        return EARLIEST <= value.astimezone(UTC) < LATEST
    except OverflowError:
        return False


def _in_range(value: datetime) -> datetime:
    if not within_range(value):
        raise ValueError("expected a date-time from the year 1900 to 8999")
    return value


IN_RANGE = AfterValidator(_in_range)
"""After an aware date-time type: refuses the years no record has (422)."""

# The range as the OpenAPI document can say it, so that a generated value is accepted: the
# years 1901 to 8998, whatever the offset (1900-01-01T00:30+01:00 is 1899 in UTC).
IN_RANGE_PATTERN = r"^(190[1-9]|19[1-9][0-9]|[2-7][0-9]{3}|8[0-8][0-9]{2}|89[0-8][0-9]|899[0-8])-"

Rfc3339DateTime = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339_text),
    IN_RANGE,
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": IN_RANGE_PATTERN}),
]
"""An aware date-time given as RFC 3339 text (what the OpenAPI document says), nothing else,
from the year 1900 to 8999."""

BeijingDateTime = Annotated[datetime, PlainSerializer(in_beijing, return_type=datetime)]
"""A date-time in an answer: people read it on Beijing's clock, so it is written with the
+08:00 offset (CONTRACT.md, additions of 2026-12-01); stored and compared in UTC."""
