"""Chinese identifiers as drivers type them: plates, ID and mobile numbers, and districts.

Validators return the normalised value or raise `ValueError` with an English message,
so that they can sit inside pydantic validators and surface as field errors.
"""

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

# Source: DOMAIN.md "Formats"; GB/T 2260 codes for Liaocheng's county-level areas.
# The three zones have no code of their own, so they carry short stable ids.
LIAOCHENG_DISTRICTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "371502": "东昌府区",
        "371503": "茌平区",
        "371521": "阳谷县",
        "371522": "莘县",
        "371524": "东阿县",
        "371525": "冠县",
        "371526": "高唐县",
        "371581": "临清市",
        "kfq": "聊城经济技术开发区",
        "gxq": "聊城高新技术产业开发区",
        "dujiaqu": "江北水城旅游度假区",
    }
)

# --- Plates (号牌). Source: DOMAIN.md "Formats"; GA 36-2018 (motor vehicle plates).

PROVINCE_ABBREVIATIONS: Final = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

_SERIAL = "[A-HJ-NP-Z0-9]"  # I and O are never issued: they read as 1 and 0
# GA 36-2018 prints the suffix in the last serial position (鲁P1234挂, 粤Z1234港);
# DOMAIN.md reads it as following five serial characters (鲁P12345挂). Both are accepted:
# a driver must never be turned away over how a plate's suffix is counted.
_PLATE = re.compile(
    rf"[{PROVINCE_ABBREVIATIONS}][A-Z]"
    # ordinary, and with a trailer, coach, police or Hong Kong / Macau suffix
    rf"(?:{_SERIAL}{{4}}(?:{_SERIAL}[挂学警港澳]?|[挂学警港澳])"
    rf"|[DF]{_SERIAL}[0-9]{{4}}"  # small new-energy
    rf"|[0-9]{{5}}[DF])",  # large new-energy
)

# Drivers copy the dot printed on the plate (鲁P·12345) in any of its Unicode look-alikes.
_PLATE_SEPARATORS = re.compile(r"[\s·•‧・･.\-]+")


def normalize_plate(raw: str) -> str:
    """Fold full-width input (鲁Ｐ１２３４５) and separators away: one vehicle, one key."""
    folded = unicodedata.normalize("NFKC", raw)
    return _PLATE_SEPARATORS.sub("", folded).upper()


def is_valid_plate(plate: str) -> bool:
    """Check an already normalised plate; see `validate_plate` for raw input."""
    return _PLATE.fullmatch(plate) is not None


def validate_plate(raw: str) -> str:
    plate = normalize_plate(raw)
    if not plate:
        raise ValueError("plate number is empty")
    if plate[0] not in PROVINCE_ABBREVIATIONS:
        raise ValueError(
            "plate number must begin with a mainland province abbreviation, e.g. 鲁P12345"
        )
    if not is_valid_plate(plate):
        raise ValueError(
            f"{plate!r} is not a valid plate number: expected province, authority letter "
            "and 5 letters or digits without I or O (鲁P12345, 鲁P1234挂), "
            "or a new-energy plate (鲁PD12345, 鲁P12345D)"
        )
    return plate


# --- Resident ID numbers. Source: GB 11643-1999 (ISO 7064 MOD 11-2 check character).

_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS: Final = "10X98765432"
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_CHINA = ZoneInfo("Asia/Shanghai")


def id_check_character(first_17_digits: str) -> str:
    digits = (int(digit) for digit in first_17_digits)
    total = sum(digit * weight for digit, weight in zip(digits, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def validate_id_number(raw: str, *, today: date | None = None) -> str:
    """Reject mistyped ID numbers before they reach insurers, who key claims on them.

    `today` bounds the birth date; it defaults to the date in China and is a parameter
    so that tests do not depend on the clock.
    """
    id_number = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)).upper()
    if len(id_number) != 18:
        raise ValueError(f"ID number must have 18 characters, got {len(id_number)}")
    if _ID_SHAPE.fullmatch(id_number) is None:
        raise ValueError("ID number must be 17 digits followed by a digit or X")
    if id_check_character(id_number[:17]) != id_number[17]:
        raise ValueError("ID number has a wrong check character; it was probably mistyped")
    try:
        birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        raise ValueError("ID number contains an impossible birth date") from None
    if today is None:
        today = datetime.now(_CHINA).date()
    if birth.year < 1900 or birth > today:
        raise ValueError("ID number contains a birth date outside 1900 to today")
    return id_number


# --- Mobile numbers. Source: DOMAIN.md "Formats" (MIIT mainland numbering, 13x-19x).

_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})")


def validate_mobile(raw: str) -> str:
    cleaned = re.sub(r"[\s\-()]+", "", unicodedata.normalize("NFKC", raw))
    match = _MOBILE.fullmatch(cleaned)
    if match is None:
        raise ValueError("mobile number must be a mainland number of 11 digits, e.g. 13812345678")
    return match.group(1)
