import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator


def utc_now() -> datetime:
    return datetime.now(UTC)


# The date and time part of RFC 3339; pydantic checks the rest, the offset included.
_RFC3339_START = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _rfc3339_text(value: object) -> object:
    # Without this, pydantic takes a number, or a string of digits, for Unix time.
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339_START.match(value)):
        return value
    raise ValueError("expected an RFC 3339 date-time with offset, e.g. 2026-11-28T08:15:00+08:00")


Rfc3339DateTime = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text)]
"""An aware date-time given as RFC 3339 text (what the OpenAPI document says), nothing else."""
