"""Masks for readers who need to know a value exists but not what it is.

DOMAIN.md "People and organisations": personal data in full only to whoever needs it
(cases/access.py decides who that is).
"""


def _mask(value: str, *, keep_start: int, keep_end: int) -> str:
    hidden = len(value) - keep_start - keep_end
    if hidden <= 0:
        return "*" * len(value)
    return value[:keep_start] + "*" * hidden + value[len(value) - keep_end :]


def mask_id_number(value: str) -> str:
    return _mask(value, keep_start=4, keep_end=4)


def mask_phone(value: str) -> str:
    return _mask(value, keep_start=3, keep_end=4)


def mask_licence_number(value: str) -> str:
    """A mainland driving licence number is the holder's ID number, so mask it as one."""
    if len(value) == 18:
        return mask_id_number(value)
    return _mask(value, keep_start=2, keep_end=2)


def mask_name(value: str) -> str:
    return value[:1] + "*" * (len(value) - 1)
