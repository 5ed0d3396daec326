"""Bearer tokens: a token verified once is remembered, never past its expiry."""

from __future__ import annotations

import time

import pytest

from accident_online.kit.tokens import LEEWAY_SECONDS, InvalidToken, decode_token, encode_token

KEY = "a-test-signing-key-of-enough-length-for-hs256"


def test_a_remembered_token_still_expires() -> None:
    # Expires (with the leeway) about one second from now.
    token = encode_token({"sub": "partner:app-lc"}, key=KEY, ttl_seconds=1 - LEEWAY_SECONDS)
    assert decode_token(token, key=KEY)["sub"] == "partner:app-lc"
    assert decode_token(token, key=KEY)["sub"] == "partner:app-lc"  # from memory

    time.sleep(1.5)

    with pytest.raises(InvalidToken):
        decode_token(token, key=KEY)


def test_a_token_is_remembered_per_key_and_callers_cannot_change_it() -> None:
    token = encode_token({"sub": "officer.li"}, key=KEY, ttl_seconds=60)
    claims = decode_token(token, key=KEY)
    claims["sub"] = "admin"

    assert decode_token(token, key=KEY)["sub"] == "officer.li"
    with pytest.raises(InvalidToken):
        decode_token(token, key=KEY + "-another")
