"""Evidence kinds and the required set (DOMAIN.md "Evidence", after 12123's guided photos)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class EvidenceKind(StrEnum):
    overview_front = "overview_front"
    overview_rear = "overview_rear"
    collision_point = "collision_point"
    plate = "plate"
    damage = "damage"
    driving_licence = "driving_licence"
    vehicle_licence = "vehicle_licence"
    road = "road"
    other = "other"


# Shot once per accident: side-front and side-rear overviews showing both vehicles, and a
# close-up of the collision point. The plate is shot once per vehicle.
REQUIRED_PER_CASE = (
    EvidenceKind.overview_front,
    EvidenceKind.overview_rear,
    EvidenceKind.collision_point,
)
PER_PARTY_KINDS = frozenset(
    {
        EvidenceKind.plate,
        EvidenceKind.damage,
        EvidenceKind.driving_licence,
        EvidenceKind.vehicle_licence,
    }
)


@dataclass(frozen=True, order=True)
class Needed:
    kind: EvidenceKind
    party: int | None = None


def missing_evidence(
    *, party_count: int, present: Iterable[tuple[str, int | None]], requested: Iterable[Needed] = ()
) -> list[Needed]:
    """What is still missing of the required set, plus anything an officer asked to re-shoot."""
    have = {(kind, party) for kind, party in present}
    needed = [Needed(kind) for kind in REQUIRED_PER_CASE]
    needed += [Needed(EvidenceKind.plate, index) for index in range(party_count)]
    missing = [n for n in needed if (n.kind.value, n.party) not in have]
    missing += [n for n in requested if n not in missing]
    return missing
