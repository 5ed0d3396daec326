"""Liability grades and the shares they carry (定责).

Grades are those of 道路交通事故处理程序规定 (MPS order 146) art. 60. The shares are the
usual ones for vehicle against vehicle (DOMAIN.md "Liability"): order 146 names the
grades but no percentages, so for three or more vehicles the officer states each share
and this module only checks that grade and share tell the same story.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from accident_online.kit.i18n import Joined, Message, _
from accident_online.models.records import LiabilityGrade as LiabilityGrade


class InvalidLiability(ValueError):
    """A liability decision that order 146 art. 60 and DOMAIN.md's share rules reject."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        # As given (a catalogue Message), so a problem built from it can be translated.
        self.reason = reason


# Usual vehicle-against-vehicle shares for the order 146 art. 60 grades (DOMAIN.md
# "Liability"); they are what an insurer applies to a two-party decision.
USUAL_SHARE: Final[Mapping[LiabilityGrade, int]] = MappingProxyType(
    {
        LiabilityGrade.FULL: 100,
        LiabilityGrade.PRIMARY: 70,
        LiabilityGrade.EQUAL: 50,
        LiabilityGrade.SECONDARY: 30,
        LiabilityGrade.NONE: 0,
    }
)

# The only two-party decisions DOMAIN.md "Liability" allows, in either order: each
# pair's usual shares add up to 100, or to 0 for an accident nobody caused.
VALID_TWO_PARTY_GRADES: Final[frozenset[tuple[LiabilityGrade, LiabilityGrade]]] = frozenset(
    pair
    for first, second in (
        (LiabilityGrade.FULL, LiabilityGrade.NONE),
        (LiabilityGrade.PRIMARY, LiabilityGrade.SECONDARY),
        (LiabilityGrade.EQUAL, LiabilityGrade.EQUAL),
        (LiabilityGrade.NONE, LiabilityGrade.NONE),
    )
    for pair in ((first, second), (second, first))
)

# With three or more vehicles the share is the officer's number and the grade the
# officer's words; only the ends of the scale are unambiguous.
_GRADES_BETWEEN_THE_ENDS: Final = frozenset(
    {LiabilityGrade.PRIMARY, LiabilityGrade.EQUAL, LiabilityGrade.SECONDARY}
)


@dataclass(frozen=True)
class PartyLiability:
    """One party's grade as decided; `share_percent` is required with three or more parties."""

    party: int
    grade: LiabilityGrade
    share_percent: int | None = None


@dataclass(frozen=True)
class ResolvedLiability:
    party: int
    grade: LiabilityGrade
    share_percent: int


def resolve_shares(
    liabilities: Sequence[PartyLiability], *, party_count: int
) -> tuple[ResolvedLiability, ...]:
    """Check a liability decision and give every party its share, ordered by party.

    Two parties take the usual shares of their grades (an explicit share must agree);
    three or more need an explicit share each, adding up to 100 or all zero (DOMAIN.md
    "Liability").
    """
    if party_count < 2:
        # An accident handled online involves at least two motor vehicles (实施条例 art. 87).
        raise InvalidLiability(
            _("a liability decision needs at least two parties, not {count}", count=party_count)
        )
    _check_each_party_once(liabilities, party_count=party_count)
    ordered = sorted(liabilities, key=lambda liability: liability.party)
    if party_count == 2:
        return _resolve_two_parties(ordered[0], ordered[1])
    return _resolve_several_parties(ordered)


def _check_each_party_once(liabilities: Sequence[PartyLiability], *, party_count: int) -> None:
    counts = Counter(liability.party for liability in liabilities)
    problems: list[Message] = []
    unknown = sorted(party for party in counts if not 0 <= party < party_count)
    if unknown:
        problems.append(
            _(
                "unknown parties {parties} (expected 0 to {last})",
                parties=unknown,
                last=party_count - 1,
            )
        )
    duplicated = sorted(party for party, count in counts.items() if count > 1)
    if duplicated:
        problems.append(_("parties {parties} appear more than once", parties=duplicated))
    missing = [party for party in range(party_count) if party not in counts]
    if missing:
        problems.append(_("parties {parties} have no liability", parties=missing))
    if problems:
        raise InvalidLiability(Joined("; ", problems))


def _resolve_two_parties(
    first: PartyLiability, second: PartyLiability
) -> tuple[ResolvedLiability, ...]:
    if (first.grade, second.grade) not in VALID_TWO_PARTY_GRADES:
        raise InvalidLiability(
            _(
                "{first}/{second} is not a two-party decision; allowed are "
                "full/none, primary/secondary, equal/equal and none/none",
                first=first.grade,
                second=second.grade,
            )
        )
    for liability in (first, second):
        usual = USUAL_SHARE[liability.grade]
        if liability.share_percent is not None and liability.share_percent != usual:
            raise InvalidLiability(
                _(
                    "party {party} is {grade}, whose share between two parties is {usual} %, "
                    "not {share} %",
                    party=liability.party,
                    grade=liability.grade,
                    usual=usual,
                    share=liability.share_percent,
                )
            )
    return tuple(
        ResolvedLiability(liability.party, liability.grade, USUAL_SHARE[liability.grade])
        for liability in (first, second)
    )


def _resolve_several_parties(
    liabilities: Sequence[PartyLiability],
) -> tuple[ResolvedLiability, ...]:
    missing = [liability.party for liability in liabilities if liability.share_percent is None]
    if missing:
        raise InvalidLiability(
            _(
                "with {count} parties every share must be given; parties {parties} have none",
                count=len(liabilities),
                parties=missing,
            )
        )
    resolved = tuple(
        ResolvedLiability(liability.party, liability.grade, liability.share_percent)
        for liability in liabilities
        if liability.share_percent is not None
    )
    out_of_range = [item.party for item in resolved if not 0 <= item.share_percent <= 100]
    if out_of_range:
        raise InvalidLiability(
            _("shares must be 0 to 100 %; parties {parties} are not", parties=out_of_range)
        )
    total = sum(item.share_percent for item in resolved)
    if total not in (0, 100):
        raise InvalidLiability(
            _("shares must add up to 100 % (or all be 0), not {total} %", total=total)
        )
    for item in resolved:
        if not _grade_fits_share(item.grade, item.share_percent):
            raise InvalidLiability(
                _(
                    "party {party} is {grade} with a share of {share} %; 0 % is none, 100 % is "
                    "full, anything between is primary, equal or secondary",
                    party=item.party,
                    grade=item.grade,
                    share=item.share_percent,
                )
            )
    return resolved


def _grade_fits_share(grade: LiabilityGrade, share_percent: int) -> bool:
    """0 % is exactly `none` and 100 % exactly `full`; between them any of the middle grades.

    The middle grades are not tied to numbers: with three cars an officer may call two
    drivers "primary" at 40 % each, and order 146 gives no percentages to contradict that.
    """
    if share_percent == 0:
        return grade is LiabilityGrade.NONE
    if share_percent == 100:
        return grade is LiabilityGrade.FULL
    return grade in _GRADES_BETWEEN_THE_ENDS
