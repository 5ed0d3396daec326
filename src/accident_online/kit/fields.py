"""Request body fields that take what their JSON Schema says, and no more.

pydantic's lax mode turns ``true`` into 1 and ``"7"`` into 7, although the OpenAPI
document promises an integer; ``StrictInt`` would refuse ``7.0``, which JSON Schema
counts as an integer. (For booleans and numbers pydantic's ``StrictBool`` and
``StrictFloat`` are exactly right.) Texts are trimmed before their length is checked,
which ``minLength`` cannot say; a pattern can.
"""

import re

from pydantic import AfterValidator, BeforeValidator


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


# The documented examples of texts that become official documents mark what the officer
# must write as 〈…〉 (and <…>): sent unchanged, an example must never become a 认定书.
_PLACEHOLDER = re.compile(r"〈[^〉]*〉|<[A-Za-z_][\w :-]*>")


def _no_placeholder(value: str) -> str:
    if _PLACEHOLDER.search(value):
        raise ValueError(
            "still contains the example's placeholder 〈…〉 or <…>: replace it with your own text"
        )
    return value


NO_PLACEHOLDER = AfterValidator(_no_placeholder)
"""On a text whose example in the docs is a placeholder: refuses it until it is filled in."""
