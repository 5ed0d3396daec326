"""The requests the benchmarks send: plain GETs, GETs over a rotating set of paths, and
realistic two-party reports (the only part of bench/ that knows about accidents)."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from load import Request


@dataclass(frozen=True)
class Get:
    """The same GET every time."""

    path: str
    headers: tuple[tuple[str, str], ...] = ()

    def __call__(self, n: int) -> Request:
        return Request("GET", self.path, self.headers)


@dataclass(frozen=True)
class RotatingGet:
    """GETs cycling through a list of paths (e.g. several case ids)."""

    paths: tuple[str, ...]
    headers: tuple[tuple[str, str], ...] = ()

    def __call__(self, n: int) -> Request:
        return Request("GET", self.paths[n % len(self.paths)], self.headers)


# Plate serials: GA 36-2018 letters and digits, I and O never issued.
_SERIAL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def plate_serial(n: int) -> str:
    """Five serial characters from a number below 34**5 (45 million distinct plates)."""
    chars = []
    for _ in range(5):
        n, digit = divmod(n, len(_SERIAL))
        chars.append(_SERIAL[digit])
    return "".join(reversed(chars))


def report_body(
    n: int, *, occurred_at: datetime, example: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The two-party example report of the API docs (this tree's, or ``example``: another
    commit's); plates differ with ``n``."""
    from accident_online.intake.schemas import EXAMPLE_REPORT

    body = copy.deepcopy(EXAMPLE_REPORT if example is None else example)
    body["occurred_at"] = occurred_at.isoformat()
    for index, party in enumerate(body["parties"]):
        party["plate"] = f"鲁P{plate_serial(2 * n + index)}"
    return body


@dataclass(frozen=True)
class ReportPosts:
    """POST /v1/reports, each with its own Idempotency-Key and its own two plates.

    ``offset`` keeps the plates of generator processes (and of runs) apart.
    """

    token: str
    offset: int
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(minutes=10))
    # /v1/eligibility takes the same body and stores nothing.
    path: str = "/v1/reports"
    # Another commit's example report instead of this tree's (bench/ab_intake.py).
    example: dict[str, Any] | None = None

    def __call__(self, n: int) -> Request:
        body = json.dumps(
            report_body(self.offset + n, occurred_at=self.occurred_at, example=self.example),
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        return Request(
            "POST",
            self.path,
            (
                ("Authorization", f"Bearer {self.token}"),
                ("Content-Type", "application/json"),
                ("Idempotency-Key", uuid.uuid4().hex),
            ),
            body,
        )
