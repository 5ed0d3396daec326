"""Amounts of money: yuan in requests (a decimal string with at most two places), and
splitting yuan into cents that add up exactly."""

import re
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Final

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

CENT: Final = Decimal("0.01")
ZERO: Final = Decimal("0.00")


def yuan_sum(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)


def round_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def apportion(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split `total` (whole cents) by `weights` into cents that add up to it exactly.

    Each part is rounded half up; the cents that rounding gains or loses overall are
    then given back one at a time by the part rounded furthest the wrong way (on a tie,
    the later part). Unlike putting the whole difference on the last part, this never
    makes a part negative (0.02 split four ways rounds to 0.01 × 4), a zero weight
    always gets zero, and every part stays within a cent of its exact value.
    """
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0:
        raise ValueError("apportioning needs a positive total weight")
    exact = [total * weight / weight_sum for weight in weights]
    parts = [round_cents(value) for value in exact]
    gap = total - yuan_sum(parts)
    latest_first = range(len(parts) - 1, -1, -1)
    while gap > 0:
        index = max(latest_first, key=lambda i: exact[i] - parts[i])
        parts[index] += CENT
        gap -= CENT
    while gap < 0:
        index = max(latest_first, key=lambda i: parts[i] - exact[i])
        parts[index] -= CENT
        gap += CENT
    return parts
