"""Standard Webhooks v1 signatures (https://www.standardwebhooks.com), via its library."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache

from standardwebhooks import Webhook


class InvalidSignature(Exception):
    pass


@lru_cache(maxsize=1024)
def _webhook(secret: str) -> Webhook:
    return Webhook(secret)


def sign(secrets: Sequence[str], *, msg_id: str, timestamp: datetime, body: str) -> str:
    """The ``webhook-signature`` header: one ``v1,<base64>`` per secret, space-separated.

    During a secret rotation both the new and the old secret sign, so a receiver that
    still knows only one of them verifies the message.
    """
    at = timestamp.astimezone(UTC)
    return " ".join(_webhook(secret).sign(msg_id, at, body) for secret in secrets)


def verify(secrets: Sequence[str], *, body: bytes, headers: Mapping[str, str]) -> None:
    """Checks id, timestamp (±5 minutes) and signature against any of ``secrets``."""
    wanted = {k.lower(): v for k, v in headers.items() if k.lower().startswith("webhook-")}
    for secret in secrets:
        try:
            _webhook(secret).verify(body, wanted, json_parse=False)
            return
        # The library lets malformed headers escape as ValueError, binascii.Error, ...:
        # every one of them means "not verified", never a server error.
        except Exception:  # noqa: S112
            continue
    raise InvalidSignature()
