"""Standard Webhooks v1 signatures (https://www.standardwebhooks.com), via its library."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache

from standardwebhooks import Webhook


class InvalidSignature(Exception):
    pass


class _BytesWebhook(Webhook):
    """Signs the exact bytes of a body, valid UTF-8 or not.

    The library decodes a body to text and encodes it again to sign it, so bytes that
    are not UTF-8 never verify and a correctly signed event would be answered "bad
    signature". Decoded with surrogateescape they come back byte for byte here; what
    they say is judged after the signature, by the parser (422).
    """

    def sign(self, msg_id: str, timestamp: datetime, data: str) -> str:
        seconds = math.floor(timestamp.replace(tzinfo=UTC).timestamp())
        to_sign = f"{msg_id}.{seconds}.{data}".encode(errors="surrogateescape")
        digest = hmac.new(self._whsecret, to_sign, hashlib.sha256).digest()
        return f"v1,{base64.b64encode(digest).decode()}"


@lru_cache(maxsize=1024)
def _webhook(secret: str) -> Webhook:
    return _BytesWebhook(secret)


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
            text = body.decode("utf-8", errors="surrogateescape")
            _webhook(secret).verify(text, wanted, json_parse=False)
            return
        # The library lets malformed headers escape as ValueError, binascii.Error, ...:
        # every one of them means "not verified", never a server error.
        except Exception:  # noqa: S112
            continue
    raise InvalidSignature()
