from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accident_online.settlement.calculation import calculate_settlement
from accident_online.settlement.terms import (
    COMPULSORY_PROPERTY_LIMIT_LIABLE,
    COMPULSORY_PROPERTY_LIMIT_NOT_LIABLE,
    RULE_SOURCES,
    InvalidSettlementInput,
    Settlement,
    SettlementRule,
    VehicleClaim,
)

COMPULSORY = SettlementRule.COMPULSORY
PROXY = SettlementRule.COMPULSORY_NO_FAULT_PROXY
COMMERCIAL = SettlementRule.COMMERCIAL_THIRD_PARTY
PARTY_LIABLE = SettlementRule.PARTY_LIABLE
KNOCK_FOR_KNOCK = SettlementRule.OWN_DAMAGE_KNOCK_FOR_KNOCK
BORNE = SettlementRule.BORNE_BY_SELF
OWN_DAMAGE = SettlementRule.OWN_DAMAGE

AMPLE_COVER = Decimal("1000000.00")

# (payer, payer_party, payee_party, amount, rule)
Row = tuple[str, int | None, int, str, SettlementRule]


def vehicle(
    party: int,
    share: int,
    loss: str,
    *,
    insurer: str | None = None,
    insured: bool = True,
    cover: Decimal | None = AMPLE_COVER,
    commercial_insurer: str | None = None,
    own_damage: bool = False,
    consent: bool = False,
) -> VehicleClaim:
    return VehicleClaim(
        party=party,
        share_percent=share,
        loss=Decimal(loss),
        compulsory_insured=insured,
        insurer=insurer if insurer is not None else f"INS{party}",
        commercial_third_party_cover=cover,
        commercial_insurer=commercial_insurer,
        own_damage=own_damage,
        knock_for_knock_consent=consent,
    )


def rows(settlement: Settlement) -> list[Row]:
    return [
        (line.payer, line.payer_party, line.payee_party, str(line.amount), line.rule)
        for line in settlement.lines
    ]


def assert_conserved(settlement: Settlement, claims: list[VehicleClaim]) -> None:
    for claim in claims:
        assert settlement.paid_to(claim.party) + settlement.borne_by(claim.party) == claim.loss


def test_domain_worked_example() -> None:
    """DOMAIN.md: A primary 70 % loss 3,000; B secondary 30 % loss 5,000."""
    claims = [vehicle(0, 70, "3000", insurer="PICC"), vehicle(1, 30, "5000", insurer="CPIC")]

    settlement = calculate_settlement(claims)

    assert settlement.method == "standard"
    assert rows(settlement) == [
        # A's loss: B's 交强险 2,000, B's third-party cover 1,000 × 30 %, A bears 700.
        ("insurer:CPIC", 1, 0, "2000.00", COMPULSORY),
        ("insurer:CPIC", 1, 0, "300.00", COMMERCIAL),
        ("party:0", 0, 0, "700.00", BORNE),
        # B's loss: A's 交强险 2,000, A's third-party cover 3,000 × 70 %, B bears 900.
        ("insurer:PICC", 0, 1, "2000.00", COMPULSORY),
        ("insurer:PICC", 0, 1, "2100.00", COMMERCIAL),
        ("party:1", 1, 1, "900.00", BORNE),
    ]
    assert (settlement.paid_to(0), settlement.borne_by(0)) == (Decimal("2300.00"), Decimal(700))
    assert (settlement.paid_to(1), settlement.borne_by(1)) == (Decimal("4100.00"), Decimal(900))


def test_full_against_none_with_no_fault_proxy() -> None:
    claims = [vehicle(0, 100, "3000", insurer="PICC"), vehicle(1, 0, "5000", insurer="CPIC")]

    settlement = calculate_settlement(claims)

    assert rows(settlement) == [
        # 无责代赔: A's own insurer advances B's 100-yuan no-fault 交强险 share.
        ("insurer:PICC", 0, 0, "100.00", PROXY),
        ("party:0", 0, 0, "2900.00", BORNE),
        ("insurer:PICC", 0, 1, "2000.00", COMPULSORY),
        ("insurer:PICC", 0, 1, "3000.00", COMMERCIAL),
    ]
    assert "no-fault party 1" in settlement.lines[0].note


def test_full_against_none_without_no_fault_proxy() -> None:
    claims = [vehicle(0, 100, "3000", insurer="PICC"), vehicle(1, 0, "5000", insurer="CPIC")]

    settlement = calculate_settlement(claims, use_no_fault_proxy=False)

    assert rows(settlement) == [
        ("insurer:CPIC", 1, 0, "100.00", COMPULSORY),
        ("party:0", 0, 0, "2900.00", BORNE),
        ("insurer:PICC", 0, 1, "2000.00", COMPULSORY),
        ("insurer:PICC", 0, 1, "3000.00", COMMERCIAL),
    ]


def test_no_fault_loss_below_the_limit_is_paid_in_full() -> None:
    claims = [vehicle(0, 100, "80", insurer="PICC"), vehicle(1, 0, "1500", insurer="CPIC")]

    settlement = calculate_settlement(claims)

    assert rows(settlement) == [
        ("insurer:PICC", 0, 0, "80.00", PROXY),
        ("insurer:PICC", 0, 1, "1500.00", COMPULSORY),
    ]


def test_equal_fault() -> None:
    claims = [vehicle(0, 50, "3000"), vehicle(1, 50, "5000")]

    settlement = calculate_settlement(claims)

    assert rows(settlement) == [
        ("insurer:INS1", 1, 0, "2000.00", COMPULSORY),
        ("insurer:INS1", 1, 0, "500.00", COMMERCIAL),
        ("party:0", 0, 0, "500.00", BORNE),
        ("insurer:INS0", 0, 1, "2000.00", COMPULSORY),
        ("insurer:INS0", 0, 1, "1500.00", COMMERCIAL),
        ("party:1", 1, 1, "1500.00", BORNE),
    ]


def test_three_vehicles_share_each_policy_limit_across_the_accident() -> None:
    """A primary 60 % loss 3,000; B secondary 40 % loss 1,000; C not liable, loss 2,000.

    交强险 (实务规程): each loss is apportioned among the other policies by their limits
    (a no-fault policy only towards liable vehicles), then each policy pays at most its
    limit for the whole accident:
    - A's loss 3,000 → B 3,000 × 2,000/2,100 = 2,857.14, C 142.86;
      B's loss 1,000 → A 952.38, C 47.62; C's loss 2,000 → A 1,000, B 1,000.
    - A's policy: 952.38 + 1,000 ≤ 2,000, paid in full.
    - B's policy: 2,857.14 + 1,000 > 2,000 → 2,000 × 2,857.14/3,857.14 = 1,481.48 to A,
      518.52 to C.
    - C's 100 yuan, split evenly between the two liable cars (50 each, also the 无责代赔
      limit 1 × 100 ÷ 2): min(142.86, 50) = 50 to A, 47.62 to B.
    Remainders: A 3,000 − 1,481.48 − 50 = 1,468.52 → B 40 % = 587.41, A keeps 881.11;
    B nothing; C 2,000 − 1,518.52 = 481.48 → A 60 % = 288.89, B 40 % = 192.59.
    """
    claims = [vehicle(0, 60, "3000"), vehicle(1, 40, "1000"), vehicle(2, 0, "2000")]

    settlement = calculate_settlement(claims)

    assert rows(settlement) == [
        ("insurer:INS1", 1, 0, "1481.48", COMPULSORY),
        ("insurer:INS0", 0, 0, "50.00", PROXY),
        ("insurer:INS1", 1, 0, "587.41", COMMERCIAL),
        ("party:0", 0, 0, "881.11", BORNE),
        ("insurer:INS0", 0, 1, "952.38", COMPULSORY),
        ("insurer:INS1", 1, 1, "47.62", PROXY),
        ("insurer:INS0", 0, 2, "1000.00", COMPULSORY),
        ("insurer:INS1", 1, 2, "518.52", COMPULSORY),
        ("insurer:INS0", 0, 2, "288.89", COMMERCIAL),
        ("insurer:INS1", 1, 2, "192.59", COMMERCIAL),
    ]
    assert_conserved(settlement, claims)

    without_proxy = calculate_settlement(claims, use_no_fault_proxy=False)
    assert ("insurer:INS2", 2, 0, "50.00", COMPULSORY) in rows(without_proxy)
    assert ("insurer:INS2", 2, 1, "47.62", COMPULSORY) in rows(without_proxy)


def test_no_fault_vehicles_do_not_pay_each_other() -> None:
    """实务规程: a no-fault policy pays only towards liable vehicles' losses."""
    claims = [vehicle(0, 100, "0"), vehicle(1, 0, "500"), vehicle(2, 0, "700")]

    settlement = calculate_settlement(claims)

    assert rows(settlement) == [
        ("insurer:INS0", 0, 1, "500.00", COMPULSORY),
        ("insurer:INS0", 0, 2, "700.00", COMPULSORY),
    ]


def test_missing_commercial_cover_is_paid_by_the_party() -> None:
    claims = [
        vehicle(0, 70, "3000", insurer="PICC"),
        vehicle(1, 30, "5000", insurer="CPIC", cover=None),
    ]

    settlement = calculate_settlement(claims)

    assert rows(settlement)[:3] == [
        ("insurer:CPIC", 1, 0, "2000.00", COMPULSORY),
        ("party:1", 1, 0, "300.00", PARTY_LIABLE),
        ("party:0", 0, 0, "700.00", BORNE),
    ]
    assert "no 商业三者险" in settlement.lines[1].note


def test_commercial_cover_smaller_than_owed_is_capped_then_the_party_pays() -> None:
    claims = [
        vehicle(0, 70, "3000", insurer="PICC", cover=Decimal("1000.00")),
        vehicle(1, 30, "5000", insurer="CPIC"),
    ]

    settlement = calculate_settlement(claims)

    assert rows(settlement)[3:] == [
        ("insurer:PICC", 0, 1, "2000.00", COMPULSORY),
        ("insurer:PICC", 0, 1, "1000.00", COMMERCIAL),
        ("party:0", 0, 1, "1100.00", PARTY_LIABLE),
        ("party:1", 1, 1, "900.00", BORNE),
    ]


def test_policy_limits_hold_per_accident_and_are_shared_among_claims() -> None:
    """A fully liable, no loss, 商业三者险 1,600; B and C not liable, losses 5,000 and 3,000.

    A's 交强险 2,000 is shared 5:3 → 1,250 to B, 750 to C; what remains (3,750 and 2,250)
    A owes in full, and its 1,600 cover is shared 3,750:2,250 → 1,000 and 600.
    """
    claims = [
        vehicle(0, 100, "0", cover=Decimal("1600.00")),
        vehicle(1, 0, "5000"),
        vehicle(2, 0, "3000"),
    ]

    settlement = calculate_settlement(claims)

    assert rows(settlement) == [
        ("insurer:INS0", 0, 1, "1250.00", COMPULSORY),
        ("insurer:INS0", 0, 1, "1000.00", COMMERCIAL),
        ("party:0", 0, 1, "2750.00", PARTY_LIABLE),
        ("insurer:INS0", 0, 2, "750.00", COMPULSORY),
        ("insurer:INS0", 0, 2, "600.00", COMMERCIAL),
        ("party:0", 0, 2, "1650.00", PARTY_LIABLE),
    ]
    assert "beyond its 商业三者险 cover of 1600.00" in settlement.lines[2].note


def test_uninsured_party_pays_its_compulsory_share_itself() -> None:
    claims = [vehicle(0, 50, "1500"), vehicle(1, 50, "1800", insured=False, cover=None)]

    settlement = calculate_settlement(claims)

    assert settlement.method == "standard"
    assert rows(settlement) == [
        ("party:1", 1, 0, "1500.00", COMPULSORY),
        ("insurer:INS0", 0, 1, "1800.00", COMPULSORY),
    ]
    assert "no 交强险" in settlement.lines[0].note


def test_knock_for_knock_when_every_condition_holds() -> None:
    claims = [
        vehicle(0, 70, "1800", insurer="PICC", consent=True),
        vehicle(1, 30, "2000", insurer="CPIC", consent=True),
    ]

    settlement = calculate_settlement(claims)

    assert settlement.method == "knock_for_knock"
    assert rows(settlement) == [
        ("insurer:PICC", 0, 0, "1800.00", KNOCK_FOR_KNOCK),
        ("insurer:CPIC", 1, 1, "2000.00", KNOCK_FOR_KNOCK),
    ]
    assert_conserved(settlement, claims)


def test_knock_for_knock_with_three_liable_vehicles() -> None:
    claims = [
        vehicle(0, 40, "1200", consent=True),
        vehicle(1, 30, "0", consent=True),
        vehicle(2, 30, "900.50", consent=True),
    ]

    settlement = calculate_settlement(claims)

    assert settlement.method == "knock_for_knock"
    assert rows(settlement) == [
        ("insurer:INS0", 0, 0, "1200.00", KNOCK_FOR_KNOCK),
        ("insurer:INS2", 2, 2, "900.50", KNOCK_FOR_KNOCK),
    ]


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param(
            [vehicle(0, 50, "1500", consent=True), vehicle(1, 50, "2500", consent=True)],
            id="a loss over 2000",
        ),
        pytest.param(
            [
                vehicle(0, 50, "1500", consent=True),
                vehicle(1, 50, "1800", insured=False, cover=None, consent=True),
            ],
            id="one vehicle uninsured",
        ),
        pytest.param(
            [vehicle(0, 100, "1500", consent=True), vehicle(1, 0, "1800", consent=True)],
            id="one party not liable",
        ),
        pytest.param(
            [vehicle(0, 0, "1500", consent=True), vehicle(1, 0, "1800", consent=True)],
            id="nobody liable",
        ),
        # DOMAIN.md "Corrections": only when the parties agree, never by itself.
        pytest.param(
            [vehicle(0, 50, "1500", consent=True), vehicle(1, 50, "1800")],
            id="one party did not consent",
        ),
        pytest.param([vehicle(0, 50, "1500"), vehicle(1, 50, "1800")], id="nobody consented"),
    ],
)
def test_knock_for_knock_does_not_apply(claims: list[VehicleClaim]) -> None:
    settlement = calculate_settlement(claims)

    assert settlement.method == "standard"
    assert all(line.rule != KNOCK_FOR_KNOCK for line in settlement.lines)
    assert_conserved(settlement, claims)


def test_nobody_liable_the_other_compulsory_policy_pays_its_no_fault_limit() -> None:
    """DOMAIN.md rule 1 when nobody is liable: each loss is paid by the other vehicle's
    交强险 up to its no-fault 100 yuan; the party bears the rest."""
    claims = [vehicle(0, 0, "800"), vehicle(1, 0, "1200.40")]

    settlement = calculate_settlement(claims)

    assert settlement.method == "standard"
    assert rows(settlement) == [
        ("insurer:INS1", 1, 0, "100.00", COMPULSORY),
        ("party:0", 0, 0, "700.00", BORNE),
        ("insurer:INS0", 0, 1, "100.00", COMPULSORY),
        ("party:1", 1, 1, "1100.40", BORNE),
    ]
    assert "not liable, property limit 100.00" in settlement.lines[0].note
    assert "nobody is liable" in settlement.lines[1].note
    # Nobody is liable, so there is no liable insurer to advance anything (无责代赔).
    assert rows(calculate_settlement(claims, use_no_fault_proxy=False)) == rows(settlement)


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        pytest.param(
            [vehicle(0, 0, "60"), vehicle(1, 0, "0")],
            [("insurer:INS1", 1, 0, "60.00", COMPULSORY)],
            id="a loss below the limit is paid in full",
        ),
        pytest.param(
            # A's 150 is claimed 75/75 on B and C. B's 100 has one claimant (A; C has no
            # loss), so B pays the 75; C's 100 is split evenly between A and B, 50 each.
            # B's 1,000 is claimed 500/500 on A and C: A pays its whole 100, C its 50.
            # B has no 交强险 and pays what it would have itself.
            [vehicle(0, 0, "150"), vehicle(1, 0, "1000", insured=False), vehicle(2, 0, "0")],
            [
                ("party:1", 1, 0, "75.00", COMPULSORY),
                ("insurer:INS2", 2, 0, "50.00", COMPULSORY),
                ("party:0", 0, 0, "25.00", BORNE),
                ("insurer:INS0", 0, 1, "100.00", COMPULSORY),
                ("insurer:INS2", 2, 1, "50.00", COMPULSORY),
                ("party:1", 1, 1, "850.00", BORNE),
            ],
            id="three vehicles share each policy's 100 among the damaged",
        ),
        pytest.param(
            # Each policy's 100 splits 33.34/33.33/33.33; each spare cent goes to whoever
            # has been given least so far, so every vehicle gets 100.00 in all.
            [vehicle(party, 0, "500") for party in range(4)],
            [
                ("insurer:INS1", 1, 0, "33.34", COMPULSORY),
                ("insurer:INS2", 2, 0, "33.33", COMPULSORY),
                ("insurer:INS3", 3, 0, "33.33", COMPULSORY),
                ("party:0", 0, 0, "400.00", BORNE),
                ("insurer:INS0", 0, 1, "33.33", COMPULSORY),
                ("insurer:INS2", 2, 1, "33.34", COMPULSORY),
                ("insurer:INS3", 3, 1, "33.33", COMPULSORY),
                ("party:1", 1, 1, "400.00", BORNE),
                ("insurer:INS0", 0, 2, "33.33", COMPULSORY),
                ("insurer:INS1", 1, 2, "33.33", COMPULSORY),
                ("insurer:INS3", 3, 2, "33.34", COMPULSORY),
                ("party:2", 2, 2, "400.00", BORNE),
                ("insurer:INS0", 0, 3, "33.34", COMPULSORY),
                ("insurer:INS1", 1, 3, "33.33", COMPULSORY),
                ("insurer:INS2", 2, 3, "33.33", COMPULSORY),
                ("party:3", 3, 3, "400.00", BORNE),
            ],
            id="four vehicles",
        ),
    ],
)
def test_nobody_liable_table(claims: list[VehicleClaim], expected: list[Row]) -> None:
    settlement = calculate_settlement(claims)

    assert rows(settlement) == expected
    assert_conserved(settlement, claims)


def test_no_fault_proxy_spreads_the_cents_of_several_no_fault_policies() -> None:
    """Two no-fault and three liable cars: each no-fault 100 splits 33.34/33.33/33.33.

    Were every policy's spare cent given to the same liable car, it would receive
    2 × 33.34 = 66.68 by 无责代赔, over DOMAIN.md's limit 2 × 100 ÷ 3 = 66.67. The second
    policy gives its spare cent to another car instead.
    """
    claims = [
        vehicle(0, 1, "0", insured=False, cover=None),
        vehicle(1, 1, "0", insured=False, cover=None),
        vehicle(2, 0, "0"),
        vehicle(3, 98, "1500"),
        vehicle(4, 0, "0"),
    ]

    settlement = calculate_settlement(claims)

    assert [row for row in rows(settlement) if row[4] == PROXY] == [
        ("insurer:INS3", 3, 3, "33.34", PROXY),
        ("insurer:INS3", 3, 3, "33.33", PROXY),
    ]
    without_proxy = rows(calculate_settlement(claims, use_no_fault_proxy=False))
    assert ("insurer:INS2", 2, 3, "33.34", COMPULSORY) in without_proxy
    assert ("insurer:INS4", 4, 3, "33.33", COMPULSORY) in without_proxy
    assert_conserved(settlement, claims)


def test_rounding_never_makes_a_line_negative() -> None:
    """0.02 left, split four ways at 25 %: half-up would give 0.01 × 4; the cents add up."""
    claims = [vehicle(0, 25, "6000.02"), *(vehicle(party, 25, "0") for party in (1, 2, 3))]

    settlement = calculate_settlement(claims)

    assert all(line.amount > 0 for line in settlement.lines)
    assert settlement.paid_to(0) + settlement.borne_by(0) == Decimal("6000.02")
    assert [row for row in rows(settlement) if row[4] == COMMERCIAL] == [
        ("insurer:INS1", 1, 0, "0.01", COMMERCIAL),
        ("insurer:INS2", 2, 0, "0.01", COMMERCIAL),
    ]


def test_every_rule_names_its_source() -> None:
    assert set(RULE_SOURCES) == set(SettlementRule)


def test_amounts_have_two_places() -> None:
    claims = [vehicle(0, 70, "3000"), vehicle(1, 30, "5000.5")]

    settlement = calculate_settlement(claims)

    assert all(line.amount.as_tuple().exponent == -2 for line in settlement.lines)


def _claim(**changes: Any) -> VehicleClaim:
    fields: dict[str, Any] = {
        "party": 1,
        "share_percent": 30,
        "loss": Decimal("5000"),
        "compulsory_insured": True,
        "insurer": "CPIC",
        "commercial_third_party_cover": None,
    }
    return VehicleClaim(**(fields | changes))


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ([vehicle(0, 100, "3000")], "at least two vehicles"),
        ([vehicle(0, 70, "3000"), _claim(party=0)], "parties \\[0\\] appear more than once"),
        ([vehicle(0, 70, "3000"), _claim(party=-1)], "must not be negative: \\[-1\\]"),
        ([vehicle(0, 70, "3000"), _claim(loss=Decimal("-1"))], "loss must not be negative"),
        ([vehicle(0, 70, "3000"), _claim(loss=Decimal("0.005"))], "more than two decimal"),
        ([vehicle(0, 70, "3000"), _claim(loss=Decimal("NaN"))], "finite Decimal"),
        ([vehicle(0, 70, "3000"), _claim(loss=5000.0)], "finite Decimal"),
        (
            [vehicle(0, 70, "3000"), _claim(commercial_third_party_cover=Decimal("-5"))],
            "commercial cover must not be negative",
        ),
        ([vehicle(0, 70, "3000"), _claim(share_percent=20)], "not 90 %"),
        ([vehicle(0, 70, "3000"), _claim(share_percent=130)], "0 to 100 %, not 130 %"),
        ([vehicle(0, 70, "3000"), _claim(insurer=None)], "needs its insurer"),
        (
            [
                vehicle(0, 70, "3000"),
                _claim(
                    compulsory_insured=False, insurer=None, commercial_third_party_cover=AMPLE_COVER
                ),
            ],
            "needs its insurer",
        ),
    ],
)
def test_invalid_input_is_rejected(claims: list[VehicleClaim], message: str) -> None:
    with pytest.raises(InvalidSettlementInput, match=message):
        calculate_settlement(claims)


# --- properties --------------------------------------------------------------------

# Cents that leave nothing after 交强险, amounts around its limits, and large losses that
# reach the 商业三者险 cover.
_cents = st.one_of(
    st.integers(0, 500), st.integers(150_000, 700_000), st.integers(0, 3_000_000)
).map(lambda cents: Decimal(cents).scaleb(-2))


@st.composite
def accidents(draw: st.DrawFn) -> list[VehicleClaim]:
    count = draw(st.integers(2, 5))
    if draw(st.integers(0, 9)) == 0:
        shares = [0] * count
    else:
        cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=count - 1, max_size=count - 1)))
        shares = [high - low for low, high in zip([0, *cuts], [*cuts, 100], strict=True)]
    claims = []
    for party, share in enumerate(shares):
        insured = draw(st.booleans() | st.just(True))
        cover = draw(st.none() | _cents)
        own_damage = draw(st.booleans())
        commercial = cover is not None or own_damage
        claims.append(
            VehicleClaim(
                party=party,
                share_percent=share,
                loss=draw(_cents),
                compulsory_insured=insured,
                insurer=f"INS{party}" if insured or commercial else None,
                commercial_third_party_cover=cover,
                # Another insurer for the commercial policy, or the same.
                commercial_insurer=draw(st.sampled_from([None, f"COM{party}"])),
                own_damage=own_damage,
                knock_for_knock_consent=draw(st.booleans() | st.just(True)),
            )
        )
    return draw(st.permutations(claims))


@settings(max_examples=200, derandomize=True, deadline=None)
@given(claims=accidents(), use_no_fault_proxy=st.booleans())
def test_money_is_conserved(claims: list[VehicleClaim], use_no_fault_proxy: bool) -> None:
    settlement = calculate_settlement(claims, use_no_fault_proxy=use_no_fault_proxy)

    assert_conserved(settlement, claims)
    for line in settlement.lines:
        assert line.amount > 0
        assert line.amount.as_tuple().exponent == -2
    # Every yuan of every loss is paid or borne exactly once: the lines towards a party
    # add up to its loss, never more (no line counted twice), and what its own insurer
    # may advance is part of what others pay it, not a payment of its own.
    for claim in claims:
        towards = sum(line.amount for line in settlement.lines if line.payee_party == claim.party)
        assert towards == claim.loss
        assert 0 <= settlement.may_advance(claim.party) <= settlement.paid_to(claim.party)
        if not claim.own_damage:
            assert settlement.may_advance(claim.party) == 0
        elif settlement.method == "standard":
            assert settlement.borne_by(claim.party) == 0
    assert sum(line.amount for line in settlement.lines) == sum(c.loss for c in claims)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(claims=accidents())
def test_knock_for_knock_only_when_every_party_consents(claims: list[VehicleClaim]) -> None:
    settlement = calculate_settlement(claims)

    if not all(claim.knock_for_knock_consent for claim in claims):
        assert settlement.method == "standard"
        assert all(line.rule != KNOCK_FOR_KNOCK for line in settlement.lines)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(claims=accidents())
def test_commercial_lines_name_the_commercial_insurer(claims: list[VehicleClaim]) -> None:
    settlement = calculate_settlement(claims)
    by_party = {claim.party: claim for claim in claims}

    for line in settlement.lines:
        if line.rule in (COMMERCIAL, OWN_DAMAGE):
            assert line.payer_party is not None
            owner = by_party[line.payer_party]
            assert line.payer == f"insurer:{owner.commercial_insurer or owner.insurer}"
        if line.rule == COMPULSORY and line.payer.startswith("insurer:"):
            assert line.payer_party is not None
            assert line.payer == f"insurer:{by_party[line.payer_party].insurer}"


@settings(max_examples=200, derandomize=True, deadline=None)
@given(claims=accidents())
def test_policies_pay_within_their_limits(claims: list[VehicleClaim]) -> None:
    settlement = calculate_settlement(claims, use_no_fault_proxy=False)
    if settlement.method == "knock_for_knock":
        return

    for claim in claims:
        paid = [line for line in settlement.lines if line.payer_party == claim.party]
        compulsory = sum(line.amount for line in paid if line.rule == COMPULSORY)
        limit = (
            COMPULSORY_PROPERTY_LIMIT_LIABLE
            if claim.share_percent > 0
            else COMPULSORY_PROPERTY_LIMIT_NOT_LIABLE
        )
        assert compulsory <= limit
        commercial = sum(line.amount for line in paid if line.rule == COMMERCIAL)
        assert commercial <= (claim.commercial_third_party_cover or 0)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(claims=accidents())
def test_no_fault_proxy_changes_who_pays_not_how_much(claims: list[VehicleClaim]) -> None:
    with_proxy = calculate_settlement(claims)
    without_proxy = calculate_settlement(claims, use_no_fault_proxy=False)

    liable = sum(1 for claim in claims if claim.share_percent > 0)
    proxy_limit = (
        (len(claims) - liable) * COMPULSORY_PROPERTY_LIMIT_NOT_LIABLE / liable if liable else 0
    )
    for claim in claims:
        assert with_proxy.paid_to(claim.party) == without_proxy.paid_to(claim.party)
        assert with_proxy.borne_by(claim.party) == without_proxy.borne_by(claim.party)
        proxied = sum(
            line.amount
            for line in with_proxy.lines
            if line.rule == PROXY and line.payee_party == claim.party
        )
        # DOMAIN.md rule 3, to the cent that an uneven split may add.
        assert proxied <= proxy_limit + Decimal("0.01")
