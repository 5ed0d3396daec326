"""Rows of one query grouped by the parent they belong to, for lists that load children in bulk."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

K = TypeVar("K")
R = TypeVar("R")
V = TypeVar("V")


def group_by(
    keys: Iterable[K], rows: Iterable[R], *, key: Callable[[R], K], value: Callable[[R], V]
) -> dict[K, list[V]]:
    """Every one of ``keys`` with the values of its rows, in the rows' order.

    A key without rows maps to an empty list, so callers index the result by any key they
    asked for without checking.
    """
    grouped: dict[K, list[V]] = {k: [] for k in keys}
    for row in rows:
        grouped[key(row)].append(value(row))
    return grouped
