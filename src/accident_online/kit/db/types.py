"""Column types and the naming convention shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Set here, where every table module's column types come from, so that the convention is
# in place before the first table (in models/ or kit/) names a constraint.
SQLModel.metadata.naming_convention = NAMING_CONVENTION


class PydanticJSON(TypeDecorator[Any]):
    """JSON validated into a pydantic type when read, written as the records stored it.

    A record (``models.records.StoredRecord``, or a list of them) is written with only
    the keys it was made or read with, so reading and writing it back keeps its JSON.
    """

    impl = JSON
    cache_ok = True

    def __init__(self, python_type: Any) -> None:
        super().__init__()
        self.adapter: TypeAdapter[Any] = TypeAdapter(python_type)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        # Validated first, so that plain JSON given to a Core statement is checked too.
        checked = self.adapter.validate_python(value)
        return self.adapter.dump_python(checked, mode="json", exclude_unset=True)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self.adapter.validate_python(value)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """Yuan with two decimals, stored as whole fen (cents) so SQLite keeps them exact too."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        cents = (value * 100).to_integral_value()
        if cents != value * 100:
            raise ValueError("money has at most two decimals")
        return int(cents)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(Decimal("0.01"))


def serial_primary_key() -> Column[int]:
    """A 64-bit auto-increment key; SQLite's INTEGER PRIMARY KEY is its rowid, also 64-bit."""
    return Column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
