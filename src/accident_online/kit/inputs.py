"""One guard over every input of every route: no control characters anywhere.

Schema fields are typed ``kit.fields.Name`` or ``Text``; this guard covers what no field
type reaches, and any field a schema forgets: path and query parameters, headers, form
fields and every string (and key) of a JSON body, including the bodies routes parse
themselves (the inbound webhooks). It runs as the app's first dependency, before
authentication and before anything touches the database, so a NUL never reaches
PostgreSQL (which refuses it with an error where SQLite would store it).

JSON strings may keep tab and line breaks (free texts allow them; one-line fields refuse
them through their type); parameters, headers and form fields are one line each.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from fastapi import Request

from accident_online.kit.fields import (
    CONTROL_CHARACTERS,
    CONTROL_CHARACTERS_BUT_WHITESPACE,
    CONTROL_MESSAGE,
    INVISIBLE_CHARACTERS,
    INVISIBLE_MESSAGE,
)
from accident_online.kit.problems import ProblemErrorItem, ValidationFailed

Location = list[str | int]
# Bytes 0x80-0xFF in a header are obs-text (UTF-8 sent raw by some clients), not C1.
_HEADER_CONTROLS = re.compile("[\x00-\x08\x0a-\x1f\x7f]")


async def refuse_control_characters(request: Request) -> None:
    errors = [
        *_parameter_errors(request),
        *_header_errors(request),
        *await _body_errors(request),
    ]
    if errors:
        raise ValidationFailed(errors=errors)


def _parameter_errors(request: Request) -> Iterator[ProblemErrorItem]:
    # Path and query parameters are ids, codes, plates, dates and cursors: one line, and
    # nothing invisible either.
    values: list[tuple[str, str, object]] = [
        *(("path", name, value) for name, value in request.path_params.items()),
        *(("query", name, value) for name, value in request.query_params.multi_items()),
        *(("query", name, name) for name in request.query_params),
    ]
    for place, name, value in values:
        if not isinstance(value, str):  # pragma: no cover - Starlette gives strings
            continue
        if CONTROL_CHARACTERS.search(value):
            yield _error([place, name], CONTROL_MESSAGE, "string_control_character")
        elif INVISIBLE_CHARACTERS.search(value):
            yield _error([place, name], INVISIBLE_MESSAGE, "string_invisible_character")


def _header_errors(request: Request) -> Iterator[ProblemErrorItem]:
    # RFC 9110 allows tab but no other control character in a field value; what the
    # server let through (the test client and some proxies are lenient) stops here.
    for name, value in request.headers.items():
        if _HEADER_CONTROLS.search(value):
            yield _error(["header", name], CONTROL_MESSAGE, "string_control_character")


async def _body_errors(request: Request) -> list[ProblemErrorItem]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        # Only where FastAPI parsed the form (a route with form fields): reading it here
        # would otherwise consume a body the route reads itself.
        if getattr(request.scope.get("route"), "body_field", None) is None:
            return []
        form = await request.form()
        return [
            _error(["body", name], CONTROL_MESSAGE, "string_control_character")
            for name, value in form.multi_items()
            if isinstance(value, str) and CONTROL_CHARACTERS.search(value)
        ]
    if content_type != "application/json" and not content_type.endswith("+json"):
        # Multipart uploads are read by their route as a stream; their fields are enums
        # and numbers.
        return []
    body = await request.body()
    # Raw control characters are invalid JSON (refused as such); escaped ones start
    # with \u00, and DEL may stand raw. Parse a second time only when one may be there.
    if b"\\u00" not in body and b"\x7f" not in body and b"\xc2" not in body:
        return []
    try:
        document = json.loads(body)
    except ValueError:
        return []  # refused as invalid JSON by the route's own parsing
    return [
        _error(loc, CONTROL_MESSAGE, "string_control_character")
        for loc in _strings_with_controls(document, ["body"])
    ]


def _strings_with_controls(value: Any, loc: Location) -> Iterator[Location]:
    if isinstance(value, str):
        if CONTROL_CHARACTERS_BUT_WHITESPACE.search(value):
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            if CONTROL_CHARACTERS.search(key):
                yield [*loc, key]
            yield from _strings_with_controls(item, [*loc, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings_with_controls(item, [*loc, index])


def _error(loc: Location, message: str, kind: str) -> ProblemErrorItem:
    return ProblemErrorItem(loc=loc, msg=message, type=kind)
