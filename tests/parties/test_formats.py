from collections.abc import Callable
from datetime import date

import pytest

from accident_online.parties.formats import (
    LIAOCHENG_DISTRICTS,
    is_valid_plate,
    normalize_plate,
    validate_id_number,
    validate_mobile,
    validate_plate,
)
from accident_online.parties.masking import (
    mask_id_number,
    mask_licence_number,
    mask_name,
    mask_phone,
)

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("鲁P12345", "鲁P12345"),
        ("鲁p·12345", "鲁P12345"),
        (" 鲁 P 1 2 3 4 5 ", "鲁P12345"),
        ("鲁P\u300012345", "鲁P12345"),  # full-width space
        ("鲁Ｐ１２３４５", "鲁P12345"),  # full-width letters and digits from a Chinese IME
        ("鲁P・12345", "鲁P12345"),  # katakana middle dot
        ("鲁P•12345", "鲁P12345"),  # bullet
        ("鲁p-a1b2c", "鲁PA1B2C"),
        ("\t鲁pd12345\n", "鲁PD12345"),
    ],
)
def test_normalize_plate(raw: str, expected: str) -> None:
    assert normalize_plate(raw) == expected


@pytest.mark.parametrize(
    "plate",
    [
        "鲁P12345",
        "鲁PA1234",
        "鲁PAB123",
        "京A12345",
        "琼B9Z8Y7",
        "藏AH0000",
        "鲁P1234挂",  # trailer, as GA 36-2018 prints it
        "鲁P12345挂",  # trailer, as DOMAIN.md reads the suffix (after five serial characters)
        "鲁P1234学",  # driving-school coach
        "鲁P0123警",  # police
        "粤Z1234港",  # Hong Kong cross-border
        "粤Z1234澳",  # Macau cross-border
        "鲁PD12345",  # small new-energy, pure electric
        "鲁PF12345",  # small new-energy, other
        "鲁PDA1234",
        "鲁P12345D",  # large new-energy
        "鲁P12345F",
    ],
)
def test_valid_plates(plate: str) -> None:
    assert is_valid_plate(plate)
    assert validate_plate(plate) == plate


@pytest.mark.parametrize(
    "plate",
    [
        "",
        "鲁P1234",  # too short
        "鲁P1234I",  # I is never issued
        "鲁PO1234",  # nor O
        "鲁P123456",  # 8 characters but not new-energy
        "鲁PA12345",
        "鲁PD1234A",  # small new-energy ends in four digits
        "鲁PDI1234",
        "鲁P1234AD",  # large new-energy has five digits before D/F
        "鲁P12345G",
        "鲁12345",  # no authority letter
        "鲁112345",
        "台A12345",  # not a mainland province
        "使A12345",
        "AB12345",
        "P12345",
        "鲁P1234领",
    ],
)
def test_invalid_plates(plate: str) -> None:
    assert not is_valid_plate(plate)
    with pytest.raises(ValueError, match="plate"):
        validate_plate(plate)


def test_is_valid_plate_expects_normalised_input() -> None:
    assert not is_valid_plate("鲁p·12345")
    assert validate_plate("鲁p·12345") == "鲁P12345"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("  ", "empty"),
        ("X鲁P12345", "province"),
        ("鲁P1234O", "not a valid plate"),
    ],
)
def test_plate_error_messages(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_plate(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002X", "11010519491231002X"),  # the GB 11643 specimen
        ("11010519491231002x", "11010519491231002X"),
        ("371502199003071230", "371502199003071230"),
        ("371521198506150023", "371521198506150023"),
        ("371522197809125679", "371522197809125679"),
        ("371581200002294417", "371581200002294417"),  # 29 Feb 2000, a leap year
        ("440304199912310015", "440304199912310015"),
        (" 371502 19900307 1230 ", "371502199003071230"),
        ("３７１５０２１９９００３０７１２３０", "371502199003071230"),  # full-width
    ],
)
def test_valid_id_numbers(raw: str, expected: str) -> None:
    assert validate_id_number(raw, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "18 characters"),
        ("37150219900307123", "18 characters"),
        ("3715021990030712301", "18 characters"),
        ("371502900307123", "18 characters"),  # first-generation 15-digit number
        ("37150219900307123A", "digit or X"),
        ("3715021990030X1230", "digit or X"),
        ("11010519491231002Y", "digit or X"),
        ("110105194912310021", "check character"),
        ("371502199003071231", "check character"),
        ("371502199003071203", "check character"),  # two digits swapped
        ("37150219900307123X", "check character"),
        ("371502199002301233", "impossible birth date"),  # 30 Feb
        ("371502199013011231", "impossible birth date"),  # month 13
        ("371502199004310010", "impossible birth date"),  # 31 Apr
        ("371502189912311239", "birth date outside"),  # before 1900
        ("371502203001011233", "birth date outside"),  # in the future
    ],
)
def test_invalid_id_numbers(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_id_number(raw, today=TODAY)


def test_id_birth_date_is_bounded_by_today() -> None:
    assert validate_id_number("371581200002294417", today=date(2000, 2, 29))
    with pytest.raises(ValueError, match="birth date outside"):
        validate_id_number("371581200002294417", today=date(2000, 2, 28))


def test_id_birth_date_defaults_to_the_clock() -> None:
    assert validate_id_number("11010519491231002X") == "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("19912345678", "19912345678"),
        ("16612345678", "16612345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("86-138-1234-5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("(+86) 13812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
    ],
)
def test_valid_mobiles(raw: str, expected: str) -> None:
    assert validate_mobile(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12812345678",  # no 12x mobile range
        "10012345678",
        "23812345678",
        "1381234567",
        "138123456789",
        "+85213812345678",  # Hong Kong prefix
        "+8612812345678",
        "1381234567a",
        "053112345678",  # a landline
    ],
)
def test_invalid_mobiles(raw: str) -> None:
    with pytest.raises(ValueError, match="mobile number"):
        validate_mobile(raw)


@pytest.mark.parametrize(
    ("mask", "value", "expected"),
    [
        (mask_id_number, "371502199003071234", "3715**********1234"),
        (mask_id_number, "11010519491231002X", "1101**********002X"),
        (mask_id_number, "1234567", "*******"),
        (mask_phone, "13812345678", "138****5678"),
        (mask_phone, "1234", "****"),
        (mask_licence_number, "371502199003071234", "3715**********1234"),
        (mask_licence_number, "370000123456", "37********56"),
        (mask_licence_number, "1234", "****"),
        (mask_name, "张三丰", "张**"),
        (mask_name, "张三", "张*"),
        (mask_name, "欧阳娜娜", "欧***"),
        (mask_name, "", ""),
    ],
)
def test_masks(mask: Callable[[str], str], value: str, expected: str) -> None:
    assert mask(value) == expected


def test_liaocheng_districts() -> None:
    codes = {key for key in LIAOCHENG_DISTRICTS if key.isdigit()}
    assert codes == {
        "371502", "371503", "371521", "371522", "371524", "371525", "371526", "371581",
    }  # fmt: skip
    assert set(LIAOCHENG_DISTRICTS) - codes == {"kfq", "gxq", "dujiaqu"}
    assert LIAOCHENG_DISTRICTS["371502"] == "东昌府区"
    assert LIAOCHENG_DISTRICTS["371581"] == "临清市"
    assert LIAOCHENG_DISTRICTS["dujiaqu"] == "江北水城旅游度假区"
    with pytest.raises(TypeError):
        LIAOCHENG_DISTRICTS["371599"] = "x"  # type: ignore[index]
