"""Reading HTTP headers that list values with quality weights (Accept, Accept-Language)."""

from __future__ import annotations


def weighted_values(header: str, *, max_items: int = 64) -> list[tuple[str, float]]:
    """The header's comma-separated values with their ``q`` weights (1 when absent, 0 when
    unreadable), in the order they were given: ``"zh-CN, en;q=0.5"`` →
    ``[("zh-CN", 1.0), ("en", 0.5)]``. Parameters other than ``q`` are dropped."""
    weighted = []
    for item in header.split(",")[:max_items]:
        value, *parameters = (part.strip() for part in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _equals, number = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(number)
                except ValueError:
                    weight = 0.0
        weighted.append((value, weight))
    return weighted
