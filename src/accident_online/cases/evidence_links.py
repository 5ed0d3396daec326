"""Signed, expiring links to one photo, that a browser tab opens without a bearer token.

Officers read the case in Swagger UI, which cannot show a photo that needs an
Authorization header in a new tab; a link carries its own proof instead. It is bound to
the case, the photo, its expiry and the reader's masking decision for the photo's party
(``m``: 1 when the reader sees that party's personal data in full), all under an HMAC
whose key is derived from the service's token key, so a changed byte, another photo or
a later expiry is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from typing import Literal

from accident_online.cases.exceptions import LinkExpired, LinkInvalid

# A key of its own, derived from the token key: a link can never pass for a token.
_KEY_PURPOSE = b"accident-online evidence view link v1"


def link_key(jwt_key: str) -> bytes:
    return hmac.new(jwt_key.encode(), _KEY_PURPOSE, hashlib.sha256).digest()


def photo_path(
    case_id: uuid.UUID | str, evidence_id: uuid.UUID | str, *, then: Literal["content", "view"]
) -> str:
    """A photo's own route (evidence/router.py): its bytes, or the page a link opens."""
    return f"/v1/cases/{case_id}/evidence/{evidence_id}/{then}"


@dataclass(frozen=True, slots=True)
class EvidenceLinks:
    key: bytes
    ttl_seconds: int
    base_url: str = ""  # scheme and host the reader used, so the link opens as it is

    def url(
        self, case_id: uuid.UUID, evidence_id: uuid.UUID, *, full: bool, now: float | None = None
    ) -> str:
        expires = int((time.time() if now is None else now) + self.ttl_seconds)
        masking = "1" if full else "0"
        signature = self._sign(case_id, evidence_id, expires, masking)
        return (
            f"{self.base_url}{photo_path(case_id, evidence_id, then='view')}"
            f"?exp={expires}&m={masking}&sig={signature}"
        )

    def verify(
        self,
        case_id: uuid.UUID,
        evidence_id: uuid.UUID,
        *,
        exp: str | None,
        m: str | None,
        sig: str | None,
        now: float | None = None,
    ) -> bool:
        """Whether the reader saw the photo's party in full; raises unless the link is good.

        The signature is checked before the expiry, so that only a genuine link is told
        it expired.
        """
        if not exp or not exp.isascii() or not exp.isdigit() or m not in ("0", "1") or not sig:
            raise LinkInvalid()
        expected = self._sign(case_id, evidence_id, int(exp), m)
        if not hmac.compare_digest(expected.encode(), sig.encode("utf-8", "replace")):
            raise LinkInvalid()
        if int(exp) < (time.time() if now is None else now):
            raise LinkExpired()
        return m == "1"

    def _sign(self, case_id: uuid.UUID, evidence_id: uuid.UUID, expires: int, masking: str) -> str:
        message = f"{case_id}\n{evidence_id}\n{expires}\n{masking}".encode()
        digest = hmac.new(self.key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
