"""Request body fields that take what their JSON Schema says, and no more.

pydantic's lax mode turns ``true`` into 1 and ``"7"`` into 7, although the OpenAPI
document promises an integer; ``StrictInt`` would refuse ``7.0``, which JSON Schema
counts as an integer. (For booleans and numbers pydantic's ``StrictBool`` and
``StrictFloat`` are exactly right.) Texts are trimmed before their length is checked,
which ``minLength`` cannot say; a pattern can.

Every text a client sends is a ``Name`` (one line) or a ``Text`` (free text), which keep
out the characters no text may carry; ``kit.inputs`` refuses control characters in every
other input, path and query included.
"""

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError


def _json_integer(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a valid integer")
    return value


JSON_INTEGER = BeforeValidator(_json_integer)
"""Last in ``Annotated[int, Field(ge=..., le=...), JSON_INTEGER]``: after the bounds, so
that the OpenAPI document still shows them as ``minimum`` and ``maximum``."""


# --- characters no text may carry --------------------------------------------------------
#
# C0 controls and DEL: PostgreSQL refuses NUL in text (a 500 where SQLite stores it), and
# no person types the others. C1 controls (U+0080-U+009F) likewise. Tab, line feed and
# carriage return are text's own whitespace: a free text keeps them, a one-line value not.
_CONTROLS = "\x00-\x1f\x7f-\x9f"
_CONTROLS_BUT_WHITESPACE = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Text-direction controls (U+061C, U+200E/F, U+202A-E, U+2066-9) make a plate or a name
# read differently on screen and in the PDF than it is stored ("Trojan Source"), and
# zero-width characters (U+200B-D, U+2060-4, U+FEFF) make two equal-looking names differ.
_INVISIBLE = "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"

CONTROL_CHARACTERS = re.compile(f"[{_CONTROLS}]")
CONTROL_CHARACTERS_BUT_WHITESPACE = re.compile(f"[{_CONTROLS_BUT_WHITESPACE}]")
INVISIBLE_CHARACTERS = re.compile(f"[{_INVISIBLE}]")

CONTROL_MESSAGE = "Control characters (such as NUL) are not allowed here."
INVISIBLE_MESSAGE = "Invisible or text-direction characters (such as U+202E) are not allowed here."


def _one_line(value: str) -> str:
    if CONTROL_CHARACTERS.search(value):
        raise PydanticCustomError("string_control_character", CONTROL_MESSAGE)
    if INVISIBLE_CHARACTERS.search(value):
        raise PydanticCustomError("string_invisible_character", INVISIBLE_MESSAGE)
    return value


def _without_invisible(value: object) -> object:
    return INVISIBLE_CHARACTERS.sub("", value) if isinstance(value, str) else value


def _free_text(value: str) -> str:
    if CONTROL_CHARACTERS_BUT_WHITESPACE.search(value):
        raise PydanticCustomError("string_control_character", CONTROL_MESSAGE)
    return value


@dataclass(frozen=True)
class _DocumentedPattern:
    """Puts ``pattern`` into the JSON Schema when the field states none of its own, so the
    OpenAPI document says which characters are refused."""

    pattern: str

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        if target.get("type") == "string" and "pattern" not in target:
            target["pattern"] = self.pattern
        return schema


# The patterns say it too, so that the OpenAPI document (and a generator working from it)
# knows: a one-line value's characters, and a free text's, with or without the "something
# visible" that a not-blank one needs.
_LINE_CHAR = f"[^{_CONTROLS}{_INVISIBLE}]"
_TEXT_CHAR = f"[^{_CONTROLS_BUT_WHITESPACE}]"
_VISIBLE = f"[^\\s{_CONTROLS}{_INVISIBLE}]"
_SPACE = f"[^\\S{_CONTROLS_BUT_WHITESPACE}]|[{_INVISIBLE}]"

NOT_BLANK = f"^{_TEXT_CHAR}*{_VISIBLE}{_TEXT_CHAR}*$"
"""The pattern of a free text that must not be blank: whitespace (and what is removed)
alone is trimmed to nothing."""

NOT_BLANK_LINE = f"^{_LINE_CHAR}*{_VISIBLE}{_LINE_CHAR}*$"
"""The pattern of a one-line value (``Name``) that must not be blank."""


def trimmed_at_least(length: int) -> str:
    """The pattern of a free text that is at least ``length`` (> 1) characters once trimmed."""
    return f"^(?:{_SPACE})*{_VISIBLE}{_TEXT_CHAR}{{{length - 2},}}{_VISIBLE}(?:{_SPACE})*$"


NAME_PATTERN = f"^{_LINE_CHAR}*$"
TEXT_PATTERN = f"^{_TEXT_CHAR}*$"
HEADER_PATTERN = "^[^\x00-\x08\x0a-\x1f\x7f]*$"
"""What the JSON Schema says of a one-line value, a free text and a header value."""

Name = Annotated[str, AfterValidator(_one_line), _DocumentedPattern(NAME_PATTERN)]
"""One line people read as written: names, addresses, plates, numbers, ids, codes. Control,
text-direction and zero-width characters are refused (422) rather than removed: a name
that is not what it looks like is a mistake or an attack, and the caller should know."""

Text = Annotated[
    str,
    BeforeValidator(_without_invisible),
    AfterValidator(_free_text),
    _DocumentedPattern(TEXT_PATTERN),
]
"""Free text (descriptions, facts, legal basis, messages, reasons): may run over several
lines; control characters other than tab and line breaks are refused (422). Text-direction
and zero-width characters are removed instead: pasted text often carries them, they add
nothing to Chinese text, and refusing would fail a driver's description for an invisible
mark they cannot find."""


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

INSURER_CODE_PATTERN = "^[A-Za-z0-9_-]+$"
InsurerCodeStr = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32, pattern=INSURER_CODE_PATTERN),
    AfterValidator(str.upper),
]
"""An insurer's code as drivers give it and insurers register it (PICC, PINGAN): 1–32
letters, digits, '-' or '_', stored upper-cased. Every request field that carries one uses
this type, so the OpenAPI document states the one pattern the service checks, as given:
a generator's valid values are accepted and its invalid ones refused."""
