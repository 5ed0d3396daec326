"""Request body fields that take what their JSON Schema says, and no more.

pydantic's lax mode turns ``true`` into 1 and ``"7"`` into 7, although the OpenAPI
document promises an integer; ``StrictInt`` would refuse ``7.0``, which JSON Schema
counts as an integer. (For booleans and numbers pydantic's ``StrictBool`` and
``StrictFloat`` are exactly right.) Texts are trimmed before their length is checked,
which ``minLength`` cannot say; a pattern can.
"""

from pydantic import BeforeValidator


def _json_integer(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a valid integer")
    return value


JSON_INTEGER = BeforeValidator(_json_integer)
"""Last in ``Annotated[int, Field(ge=..., le=...), JSON_INTEGER]``: after the bounds, so
that the OpenAPI document still shows them as ``minimum`` and ``maximum``."""


NOT_BLANK = r"\S"
"""The pattern of a text that must not be blank: whitespace alone is trimmed to nothing."""


def trimmed_at_least(length: int) -> str:
    """The pattern of a text that is at least ``length`` (> 1) characters once trimmed."""
    return rf"^\s*\S[\s\S]{{{length - 2},}}\S\s*$"
