"""Amounts of money in requests: yuan, as a decimal string with at most two places."""

import re
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

# 0 to 100,000,000 yuan; the same bound, written out, as the OpenAPI document's pattern.
AMOUNT_PATTERN = r"^(100000000(\.00?)?|\d{1,8}(\.\d{1,2})?)$"
_AMOUNT = re.compile(AMOUNT_PATTERN)


def _amount_text(value: object) -> object:
    # A JSON number would arrive as a float, whose two places are not exact.
    if isinstance(value, Decimal) or (isinstance(value, str) and _AMOUNT.match(value)):
        return Decimal(value)
    raise ValueError('expected yuan as a decimal string with at most two places, e.g. "2100.00"')


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount_text),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN, "examples": ["2100.00"]}),
]
"""Yuan in a request body, e.g. ``"2100.00"`` (CONTRACT.md: money is a decimal string)."""
