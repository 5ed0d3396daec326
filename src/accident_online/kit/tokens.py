"""Signed, short-lived bearer tokens (JWT, HS256)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import jwt

from accident_online.kit.time import utc_now

ALGORITHM = "HS256"
ISSUER = "accident-online"


class InvalidToken(Exception):
    pass


def encode_token(claims: dict[str, Any], *, key: str, ttl_seconds: int) -> str:
    now = utc_now()
    payload = {
        **claims,
        "iss": ISSUER,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=ttl_seconds),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM)


def decode_token(token: str, *, key: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
            leeway=5,
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    return claims
