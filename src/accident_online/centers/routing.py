"""Which of the nine remote liability centers takes a new report.

Rule (intake issue): the center whose districts include the accident's; if it is
offline, closed at that hour or its queue is full, the open online center with the
lowest load (queue ÷ capacity, then id); if none is open, the home center anyway,
because a report is never dropped.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo

# Centers keep Liaocheng wall-clock hours; China has one time zone and no DST since 1991.
CENTER_TIME_ZONE = ZoneInfo("Asia/Shanghai")


class UnknownDistrict(ValueError):
    def __init__(self, district: str) -> None:
        super().__init__(f"no liability center covers district {district!r}")
        self.district = district


class RoutingReason(StrEnum):
    JURISDICTION = "jurisdiction"
    OVERFLOW = "overflow"
    CLOSED = "closed"
    OFFLINE = "offline"
    NO_CENTER_OPEN = "no_center_open"


@dataclass(frozen=True)
class ServiceHours:
    """Daily opening window in Liaocheng local time; equal ends mean open around the clock."""

    opens: time
    closes: time

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("service hours are local wall-clock times without a time zone")

    def is_open(self, at: datetime) -> bool:
        if at.tzinfo is None:
            raise ValueError("`at` must be timezone-aware")
        if self.opens == self.closes:
            return True
        local = at.astimezone(CENTER_TIME_ZONE).time()
        if self.opens < self.closes:
            return self.opens <= local < self.closes
        return local >= self.opens or local < self.closes  # the window spans midnight


@dataclass(frozen=True)
class CenterSnapshot:
    id: str
    districts: frozenset[str]
    online: bool
    capacity: int
    queue_depth: int
    hours: ServiceHours

    def __post_init__(self) -> None:
        if self.capacity < 0 or self.queue_depth < 0:
            raise ValueError("capacity and queue depth cannot be negative")

    def is_full(self) -> bool:
        return self.queue_depth >= self.capacity

    def accepts_reports_at(self, at: datetime) -> bool:
        return self.online and self.hours.is_open(at) and not self.is_full()

    def load(self) -> Fraction:
        """Exact, so that equal loads (1/3 and 2/6) tie and fall through to the id."""
        return Fraction(self.queue_depth, self.capacity)


@dataclass(frozen=True)
class RoutingDecision:
    center_id: str
    reason: RoutingReason
    home_center_id: str


def route_to_center(
    *, district: str, at: datetime, centers: Sequence[CenterSnapshot]
) -> RoutingDecision:
    if at.tzinfo is None:
        raise ValueError("`at` must be timezone-aware")
    # Should two centers ever claim a district, the lowest id wins so routing stays stable.
    home = min((c for c in centers if district in c.districts), key=lambda c: c.id, default=None)
    if home is None:
        raise UnknownDistrict(district)
    if home.accepts_reports_at(at):
        return RoutingDecision(home.id, RoutingReason.JURISDICTION, home.id)

    open_elsewhere = [c for c in centers if c.id != home.id and c.accepts_reports_at(at)]
    if not open_elsewhere:
        return RoutingDecision(home.id, RoutingReason.NO_CENTER_OPEN, home.id)

    chosen = min(open_elsewhere, key=lambda c: (c.load(), c.id))
    return RoutingDecision(chosen.id, _why_not_home(home, at), home.id)


def _why_not_home(home: CenterSnapshot, at: datetime) -> RoutingReason:
    if not home.online:
        return RoutingReason.OFFLINE
    if not home.hours.is_open(at):
        return RoutingReason.CLOSED
    return RoutingReason.OVERFLOW
