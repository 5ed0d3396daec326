from itertools import product

import pytest

from accident_online.decisions.liability import (
    USUAL_SHARE,
    VALID_TWO_PARTY_GRADES,
    InvalidLiability,
    LiabilityGrade,
    PartyLiability,
    ResolvedLiability,
    resolve_shares,
)

FULL = LiabilityGrade.FULL
PRIMARY = LiabilityGrade.PRIMARY
EQUAL = LiabilityGrade.EQUAL
SECONDARY = LiabilityGrade.SECONDARY
NONE = LiabilityGrade.NONE

VALID_PAIRS = [
    (FULL, NONE, 100, 0),
    (NONE, FULL, 0, 100),
    (PRIMARY, SECONDARY, 70, 30),
    (SECONDARY, PRIMARY, 30, 70),
    (EQUAL, EQUAL, 50, 50),
    (NONE, NONE, 0, 0),
]
INVALID_PAIRS = [
    pair
    for pair in product(LiabilityGrade, repeat=2)
    if pair not in {(first, second) for first, second, _, _ in VALID_PAIRS}
]


def test_usual_shares_follow_order_146_art_60() -> None:
    assert dict(USUAL_SHARE) == {FULL: 100, PRIMARY: 70, EQUAL: 50, SECONDARY: 30, NONE: 0}


def test_the_valid_pairs_are_exactly_those_of_domain_md() -> None:
    assert {(first, second) for first, second, _, _ in VALID_PAIRS} == VALID_TWO_PARTY_GRADES
    assert len(INVALID_PAIRS) == 25 - 6


@pytest.mark.parametrize(("first", "second", "first_share", "second_share"), VALID_PAIRS)
def test_two_parties_take_the_usual_shares(
    first: LiabilityGrade, second: LiabilityGrade, first_share: int, second_share: int
) -> None:
    resolved = resolve_shares([PartyLiability(1, second), PartyLiability(0, first)], party_count=2)

    assert resolved == (
        ResolvedLiability(0, first, first_share),
        ResolvedLiability(1, second, second_share),
    )


@pytest.mark.parametrize(("first", "second", "first_share", "second_share"), VALID_PAIRS)
def test_two_parties_may_state_the_usual_shares(
    first: LiabilityGrade, second: LiabilityGrade, first_share: int, second_share: int
) -> None:
    resolved = resolve_shares(
        [PartyLiability(0, first, first_share), PartyLiability(1, second, second_share)],
        party_count=2,
    )

    assert [item.share_percent for item in resolved] == [first_share, second_share]


@pytest.mark.parametrize(("first", "second"), INVALID_PAIRS)
def test_other_two_party_pairs_are_rejected(first: LiabilityGrade, second: LiabilityGrade) -> None:
    with pytest.raises(InvalidLiability, match="not a two-party decision"):
        resolve_shares([PartyLiability(0, first), PartyLiability(1, second)], party_count=2)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (PartyLiability(0, PRIMARY, 60), PartyLiability(1, SECONDARY, 40)),
        (PartyLiability(0, PRIMARY), PartyLiability(1, SECONDARY, 40)),
        (PartyLiability(0, EQUAL, 50), PartyLiability(1, EQUAL, 49)),
        (PartyLiability(0, FULL, 100), PartyLiability(1, NONE, 1)),
    ],
)
def test_two_parties_may_not_state_other_shares(
    first: PartyLiability, second: PartyLiability
) -> None:
    with pytest.raises(InvalidLiability, match="whose share between two parties is"):
        resolve_shares([first, second], party_count=2)


@pytest.mark.parametrize(
    "liabilities",
    [
        [
            PartyLiability(0, PRIMARY, 60),
            PartyLiability(1, SECONDARY, 30),
            PartyLiability(2, SECONDARY, 10),
        ],
        [PartyLiability(0, FULL, 100), PartyLiability(1, NONE, 0), PartyLiability(2, NONE, 0)],
        [PartyLiability(0, NONE, 0), PartyLiability(1, NONE, 0), PartyLiability(2, NONE, 0)],
        [PartyLiability(0, EQUAL, 50), PartyLiability(1, EQUAL, 50), PartyLiability(2, NONE, 0)],
        # Between 0 and 100 the grade is the officer's words, not a fixed number.
        [
            PartyLiability(0, PRIMARY, 40),
            PartyLiability(1, PRIMARY, 40),
            PartyLiability(2, SECONDARY, 20),
        ],
        [
            PartyLiability(0, EQUAL, 25),
            PartyLiability(1, EQUAL, 25),
            PartyLiability(2, EQUAL, 25),
            PartyLiability(3, EQUAL, 25),
        ],
    ],
)
def test_several_parties_keep_their_explicit_shares(liabilities: list[PartyLiability]) -> None:
    resolved = resolve_shares(list(reversed(liabilities)), party_count=len(liabilities))

    assert resolved == tuple(
        ResolvedLiability(item.party, item.grade, item.share_percent or 0) for item in liabilities
    )


@pytest.mark.parametrize(
    ("liabilities", "message"),
    [
        (
            [
                PartyLiability(0, PRIMARY, 60),
                PartyLiability(1, SECONDARY, 30),
                PartyLiability(2, SECONDARY, 20),
            ],
            "add up to 100 % \\(or all be 0\\), not 110 %",
        ),
        (
            [
                PartyLiability(0, PRIMARY, 60),
                PartyLiability(1, SECONDARY, 30),
                PartyLiability(2, NONE, 0),
            ],
            "not 90 %",
        ),
        (
            [
                PartyLiability(0, PRIMARY, 70),
                PartyLiability(1, SECONDARY, 30),
                PartyLiability(2, NONE),
            ],
            "parties \\[2\\] have none",
        ),
        (
            [
                PartyLiability(0, FULL, 110),
                PartyLiability(1, NONE, -10),
                PartyLiability(2, NONE, 0),
            ],
            "0 to 100 %; parties \\[0, 1\\]",
        ),
        (
            [
                PartyLiability(0, PRIMARY, 70),
                PartyLiability(1, PRIMARY, 30),
                PartyLiability(2, PRIMARY, 0),
            ],
            "party 2 is primary with a share of 0 %",
        ),
        (
            [
                PartyLiability(0, PRIMARY, 100),
                PartyLiability(1, NONE, 0),
                PartyLiability(2, NONE, 0),
            ],
            "party 0 is primary with a share of 100 %",
        ),
        (
            [
                PartyLiability(0, FULL, 80),
                PartyLiability(1, SECONDARY, 20),
                PartyLiability(2, NONE, 0),
            ],
            "party 0 is full with a share of 80 %",
        ),
        (
            [
                PartyLiability(0, PRIMARY, 70),
                PartyLiability(1, NONE, 20),
                PartyLiability(2, SECONDARY, 10),
            ],
            "party 1 is none with a share of 20 %",
        ),
    ],
)
def test_several_parties_reject_bad_shares(liabilities: list[PartyLiability], message: str) -> None:
    with pytest.raises(InvalidLiability, match=message):
        resolve_shares(liabilities, party_count=3)


@pytest.mark.parametrize(
    ("liabilities", "party_count", "message"),
    [
        ([PartyLiability(0, FULL)], 2, "parties \\[1\\] have no liability"),
        (
            [PartyLiability(0, EQUAL), PartyLiability(0, EQUAL)],
            2,
            "parties \\[0\\] appear more than once; parties \\[1\\] have no liability",
        ),
        (
            [PartyLiability(0, FULL), PartyLiability(2, NONE)],
            2,
            "unknown parties \\[2\\] \\(expected 0 to 1\\)",
        ),
        ([PartyLiability(-1, FULL), PartyLiability(1, NONE)], 2, "unknown parties \\[-1\\]"),
        (
            [PartyLiability(0, PRIMARY, 60), PartyLiability(1, SECONDARY, 40)],
            3,
            "parties \\[2\\] have no liability",
        ),
        ([PartyLiability(0, FULL)], 1, "at least two parties"),
        ([], 0, "at least two parties"),
    ],
)
def test_every_party_appears_exactly_once(
    liabilities: list[PartyLiability], party_count: int, message: str
) -> None:
    with pytest.raises(InvalidLiability, match=message):
        resolve_shares(liabilities, party_count=party_count)


def test_invalid_liability_is_a_value_error() -> None:
    assert issubclass(InvalidLiability, ValueError)
