"""Argon2 hashing for passwords and client secrets."""

from __future__ import annotations

import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# pwdlib's recommended argon2id parameters (RFC 9106's second recommendation).
DEFAULT_TIME_COST = 3
DEFAULT_MEMORY_KIB = 65536

_hasher = PasswordHash((Argon2Hasher(),))
_dummy_hash: str | None = None


def configure_hashing(*, time_cost: int, memory_kib: int) -> None:
    """Sets the cost of new hashes (settings). Existing hashes keep verifying: argon2 hashes
    carry their own parameters."""
    global _hasher, _dummy_hash
    _hasher = PasswordHash(
        (Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=4),)
    )
    _dummy_hash = None


async def hash_secret(secret: str) -> str:
    # Argon2 takes ~0.1 s of CPU by design: off the event loop, so other requests go on.
    return await anyio.to_thread.run_sync(_hasher.hash, secret)


async def verify_secret(secret: str, hashed: str | None) -> bool:
    """Checks a secret; with no hash it still spends the time, so timing reveals nothing."""
    global _dummy_hash
    if hashed is None:
        if _dummy_hash is None:
            _dummy_hash = await hash_secret("not-a-real-secret")
        await anyio.to_thread.run_sync(_hasher.verify, secret, _dummy_hash)
        return False
    return await anyio.to_thread.run_sync(_hasher.verify, secret, hashed)
