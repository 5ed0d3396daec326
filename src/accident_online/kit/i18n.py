"""The one message catalogue: what people read in problems, in Chinese or in English.

The English text in the code is the message id. ``_()`` marks it for extraction and
keeps it as a :class:`Message`, an ordinary ``str`` (the English text, so logs, tests
and the OpenAPI document read as before) that still knows its id and placeholders. The
problem handler translates title and detail at the last moment, for the language the
request negotiated; a text that was never marked is looked up by its English text too.

The Chinese catalogue is ``locales/zh_CN/LC_MESSAGES/messages.po``, compiled in memory at
start-up, so no generated ``.mo`` file is kept in the repository or in the package.

Adding or changing a message (e.g. a new ``AppError`` subclass):

1. Write the English title and detail as ``_("...")`` in the class (placeholders by name:
   ``_("Case {number} is held by another officer", number=case.number)``; never an
   f-string, which cannot be looked up).
2. ``make messages`` extracts every ``_()`` text and merges it into the ``.po`` file.
3. Fill in the new ``msgstr`` entries in Chinese, with the same ``{placeholders}``, and
   delete the ``#, fuzzy`` line of any entry Babel guessed from an older text.
4. ``tests/kit/test_i18n.py`` fails until every error class and every marked text has a
   reviewed Chinese translation.
"""

from __future__ import annotations

import functools
import io
import re
import string
from collections.abc import Iterable, Mapping
from gettext import NullTranslations
from importlib import resources
from typing import Any, Final

import jwt
from babel.core import negotiate_locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.types import Scope

from accident_online.kit.headers import weighted_values

DOMAIN: Final = "messages"
CHINESE: Final = "zh_CN"
ENGLISH: Final = "en"
# The Content-Language each locale answers with (BCP 47).
LANGUAGE_TAGS: Final[Mapping[str, str]] = {CHINESE: "zh-CN", ENGLISH: "en"}
# Babel matches an asked-for tag to these by language: zh-CN, zh-Hans, zh-TW → zh.
_NEGOTIABLE: Final = {"zh": CHINESE, "en": ENGLISH}
_NEGOTIABLE_TAG: Final = {locale: language for language, locale in _NEGOTIABLE.items()}
# Accept-Language is a client's hint, never a reason to fail: at most this much is read.
_MAX_HEADER = 512
_MAX_RANGES = 16
_LANGUAGE_RANGE = re.compile(r"^(\*|[A-Za-z]{1,8}([-_][A-Za-z0-9]{1,8})*)$")


class Message(str):
    """English text from the catalogue, formatted; translated texts use the same values."""

    msgid: str
    params: Mapping[str, object]

    def __new__(cls, msgid: str, /, **params: object) -> Message:
        message = super().__new__(cls, msgid.format(**params) if params else msgid)
        message.msgid = msgid
        message.params = params
        return message


class Joined(str):
    """Several texts in one, e.g. every reason a decision fails; each translated alone."""

    separator: str
    parts: tuple[str, ...]

    def __new__(cls, separator: str, parts: Iterable[str]) -> Joined:
        parts = tuple(parts)
        joined = super().__new__(cls, separator.join(parts))
        joined.separator = separator
        joined.parts = parts
        return joined


def _(msgid: str, /, **params: object) -> Message:
    """Marks English text for the catalogue; ``{name}`` placeholders are filled from params."""
    return Message(msgid, **params)


def locales_dir() -> resources.abc.Traversable:
    return resources.files("accident_online") / "locales"


def po_file(locale: str) -> resources.abc.Traversable:
    return locales_dir() / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(locale: str) -> Catalog:
    with po_file(locale).open("rb") as source:
        return read_po(source, locale=locale, domain=DOMAIN)


@functools.cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue for a locale; English is the source text itself."""
    if locale == ENGLISH:
        return NullTranslations()
    compiled = io.BytesIO()
    # Fuzzy entries (Babel's guesses from an older text) are left out, as gettext does.
    write_mo(compiled, read_catalogue(locale), use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def load_catalogues() -> None:
    """Reads every catalogue now, so a broken one stops the service at start-up."""
    for locale in LANGUAGE_TAGS:
        translations(locale)


def translate(text: str, locale: str) -> str:
    """The text in the locale's language, placeholders filled; English if untranslated."""
    if isinstance(text, Joined):
        return text.separator.join(translate(part, locale) for part in text.parts)
    if isinstance(text, Message):
        msgid, params = text.msgid, text.params
    else:
        msgid, params = str(text), {}
    translated = translations(locale).gettext(msgid)
    if not params:
        return translated
    try:
        return translated.format(**params)
    except (KeyError, IndexError, ValueError):
        # A translation naming a placeholder the code does not fill: English is better
        # than a 500. tests/kit/test_i18n.py keeps the catalogue from shipping one.
        return str(text)


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a message text fills in."""
    return {field[1] for field in string.Formatter().parse(text) if field[1] is not None}


def negotiate(accept_language: str | None, *, default: str) -> str:
    """The locale for an ``Accept-Language`` header, by q-value; ``default`` if none fits.

    ``*`` stands for the caller's default, so ``fr, *;q=0.5`` is the default too.
    """
    preferred = [
        _NEGOTIABLE_TAG[default] if tag == "*" else tag
        for tag in _preferred_tags(accept_language or "")
    ]
    chosen = negotiate_locale(preferred, list(_NEGOTIABLE), sep="-")
    return _NEGOTIABLE[chosen.lower()] if chosen else default


def _preferred_tags(header: str) -> list[str]:
    """The language ranges of an Accept-Language header, highest q-value first."""
    ranked: list[tuple[float, int, str]] = []
    weighted = weighted_values(header[:_MAX_HEADER], max_items=_MAX_RANGES)
    for position, (tag, quality) in enumerate(weighted):
        if _LANGUAGE_RANGE.match(tag) and 0 < quality <= 1:
            ranked.append((-quality, position, tag.replace("_", "-")))
    return [ranked_tag[2] for ranked_tag in sorted(ranked)]


def default_locale(authorization: str | None) -> str:
    """Chinese for people; English for a partner system's bearer token.

    People (drivers' app aside, officers and admins in /docs, anyone not signed in) read
    Chinese. Partner systems are programs whose logs their engineers read, so they get
    English unless they ask otherwise; the app backend sends ``Accept-Language: zh-CN``
    for the drivers. The token's claims are read without checking its signature: they
    only choose a language, which the caller could choose with the header anyway, and an
    expired partner token is still a partner's.
    """
    scheme, _space, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return CHINESE
    try:
        claims: dict[str, Any] = jwt.decode(
            token.strip(), options={"verify_signature": False, "verify_exp": False}
        )
    except jwt.PyJWTError:
        return CHINESE
    return ENGLISH if claims.get("partner") else CHINESE


def request_locale(scope: Scope) -> str:
    """The locale a request's problems are written in, from its headers."""
    accept_language = authorization = None
    for key, value in scope.get("headers", []):
        if key == b"accept-language":
            accept_language = value.decode("latin-1")
        elif key == b"authorization":
            authorization = value.decode("latin-1")
    return negotiate(accept_language, default=default_locale(authorization))


def language_headers(locale: str) -> dict[str, str]:
    """Headers of an answer whose text depends on Accept-Language."""
    return {"Content-Language": LANGUAGE_TAGS[locale], "Vary": "Accept-Language"}
