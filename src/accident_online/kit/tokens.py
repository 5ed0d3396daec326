"""Signed, short-lived bearer tokens (JWT, HS256)."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
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


LEEWAY_SECONDS = 5
# Checking a token's signature and claims costs about as much as a whole /healthz answer,
# and a partner system sends the same token with every request until it expires. A
# token verified once is remembered (by key and token) until its expiry, which is
# checked again on every use; nothing else about a signed token can change. Whether
# its account may still use it can: auth.accounts checks that on every request after
# this cache (and trusts its own answer for a few seconds only), so a revoked token's
# entry here never makes it work.
_VERIFIED: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
_VERIFIED_MAX = 4096


def decode_token(token: str, *, key: str) -> dict[str, Any]:
    cache_key = (key, token)
    claims = _VERIFIED.get(cache_key)
    if claims is not None:
        if time.time() < claims["exp"] + LEEWAY_SECONDS:
            _VERIFIED.move_to_end(cache_key)
            return dict(claims)
        del _VERIFIED[cache_key]
    claims = _verify(token, key=key)
    _VERIFIED[cache_key] = claims
    if len(_VERIFIED) > _VERIFIED_MAX:
        _VERIFIED.popitem(last=False)
    return dict(claims)


def _verify(token: str, *, key: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    return claims
