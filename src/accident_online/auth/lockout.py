"""Failed sign-ins pause the *source* of the failures, not the account.

A person's failures are counted per (username, client address), in tiers that give an
increasing backoff: ``max_failures`` within one pause (60 s by default) pauses that
address for that username; twice as many within 15 pauses (15 min), four times as many
within 225 pauses (3 h 45 min) pause it for longer. Someone guessing a username from
one address thus cannot lock the officer out from any other address, and a success
from an address clears that address's count.

Guessing one username from many addresses is answered by a per-name throttle: when the
name collected ``name_throttle_failures`` failures from all addresses within 15 pauses,
it is "under attack", and then an address that failed for it within the last pause is
paused for it at once. That slows a distributed guesser to one guess per address and
pause, and never blocks the right password from an address that has not just failed.

Partner systems' client secrets are 256-bit random strings: guessing is hopeless, so
they are never locked (a lock would only let anyone lock a partner out). Their failed
sign-ins are counted per address and pause that address's client-credentials sign-ins.

Every count lives in the rate-limit storage (memory, or Redis shared by all processes).
"""

from __future__ import annotations

from dataclasses import dataclass

from limits import RateLimitItem

from accident_online.auth.exceptions import SignInLocked
from accident_online.kit.limits import Limits, per_seconds

TIER_GROWTH = 15


@dataclass(frozen=True)
class SignInPolicy:
    max_failures: int
    lockout_seconds: int
    name_throttle_failures: int

    @property
    def tiers(self) -> list[RateLimitItem]:
        return [
            per_seconds(self.max_failures * 2**tier, self.lockout_seconds * TIER_GROWTH**tier)
            for tier in range(3)
        ]

    @property
    def name_throttle(self) -> RateLimitItem:
        return per_seconds(self.name_throttle_failures, self.lockout_seconds * TIER_GROWTH)


class SignInThrottle:
    def __init__(self, limits: Limits, policy: SignInPolicy) -> None:
        self.limits = limits
        self.policy = policy

    async def check_person(self, username: str, address: str) -> None:
        """Raises 429 ``sign-in-locked`` while this address is paused for this username."""
        key = ("sign-in-failures", "user", username, address)
        tiers = self.policy.tiers
        # The longest pause among the tiers reached: the backoff grows with the tier.
        for item in reversed(tiers):
            if not await self.limits.test(item, *key):
                raise _locked(await self.limits.retry_after(item, *key))
        under_attack = not await self.limits.test(
            self.policy.name_throttle, "sign-in-failures", "name", username
        )
        if under_attack and await self.limits.remaining(tiers[0], *key) < tiers[0].amount:
            raise _locked(
                await self.limits.retry_after(tiers[0], *key),
                "Many sign-ins for this username failed recently; after a failure, an "
                "address must wait before trying again.",
            )

    async def person_failed(self, username: str, address: str) -> int:
        """Counts a failure; returns how many failures this address has left before a pause."""
        key = ("sign-in-failures", "user", username, address)
        await self.limits.hit(self.policy.name_throttle, "sign-in-failures", "name", username)
        left = []
        for item in self.policy.tiers:
            await self.limits.hit(item, *key)
            left.append(await self.limits.remaining(item, *key))
        return min(left)

    async def person_succeeded(self, username: str, address: str) -> None:
        key = ("sign-in-failures", "user", username, address)
        for item in self.policy.tiers:
            await self.limits.clear(item, *key)

    async def check_client(self, address: str) -> None:
        """Raises 429 while this address is paused for client-credentials sign-ins."""
        key = ("sign-in-failures", "client", address)
        for item in reversed(self._client_tiers):
            if not await self.limits.test(item, *key):
                raise _locked(
                    await self.limits.retry_after(item, *key),
                    "Too many failed client sign-ins from your address; wait and try again.",
                )

    async def client_failed(self, address: str) -> None:
        key = ("sign-in-failures", "client", address)
        for item in self._client_tiers:
            await self.limits.hit(item, *key)

    @property
    def _client_tiers(self) -> list[RateLimitItem]:
        # More room than for people: a misconfigured partner retries in a loop, and one
        # address may carry several partner systems.
        return [per_seconds(item.amount * 4, item.get_expiry()) for item in self.policy.tiers]


def _locked(retry_after: int, detail: str | None = None) -> SignInLocked:
    return SignInLocked(detail, headers={"Retry-After": str(retry_after)})
