"""Argon2 hashing for passwords and client secrets."""

from functools import lru_cache

import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


async def hash_secret(secret: str) -> str:
    # Argon2 takes ~0.1 s of CPU by design: off the event loop, so other requests go on.
    return await anyio.to_thread.run_sync(_hasher().hash, secret)


async def verify_secret(secret: str, hashed: str | None) -> bool:
    """Checks a secret; with no hash it still spends the time, so timing reveals nothing."""
    if hashed is None:
        await anyio.to_thread.run_sync(_hasher().verify, secret, _DUMMY_HASH)
        return False
    return await anyio.to_thread.run_sync(_hasher().verify, secret, hashed)


_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
    "9dlCpFHHSgdhwgOdu0hmthr9MzvZO/2u5pjHrxMOmhA"
)
