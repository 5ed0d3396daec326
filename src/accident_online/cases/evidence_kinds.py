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


# How the contact sheet names each kind, in the words of the guided photos officers know.
KIND_LABELS: dict[EvidenceKind, str] = {
    EvidenceKind.overview_front: "侧前方全景",
    EvidenceKind.overview_rear: "侧后方全景",
    EvidenceKind.collision_point: "碰撞部位",
    EvidenceKind.plate: "号牌",
    EvidenceKind.damage: "车损部位",
    EvidenceKind.driving_licence: "驾驶证",
    EvidenceKind.vehicle_licence: "行驶证",
    EvidenceKind.road: "道路现场",
    EvidenceKind.other: "其他",
}

# Photos of identity documents show the party's ID and licence numbers: whoever sees
# that party's personal data masked must not see these photos either.
IDENTITY_DOCUMENT_KINDS = frozenset({EvidenceKind.driving_licence, EvidenceKind.vehicle_licence})


def is_withheld(kind: str, party: int | None, shown_in_full: frozenset[int]) -> bool:
    """Whether a photo of ``kind`` of ``party`` is withheld from a reader who sees the
    personal data of the parties ``shown_in_full`` unmasked (cases/access.py)."""
    return kind in IDENTITY_DOCUMENT_KINDS and party not in shown_in_full
