"""What a batch of attempts' outcomes writes: one attempt row per try, each message's
new state (delivered, retried after its backoff, dead, disabled), endpoints gone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from accident_online.models.webhook import DeliveryStatus
from accident_online.webhooks.attempt import Outcome, next_attempt_delay


@dataclass
class OutcomeRows:
    attempts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)  # partners whose endpoint answered 410
    delivered: int = 0
    failed: int = 0  # to be retried, or dead


def outcome_rows(
    outcomes: Sequence[Outcome], *, worker: str, now: datetime, retry_schedule: Sequence[float]
) -> OutcomeRows:
    rows = OutcomeRows()
    for result in outcomes:
        made = result.message.attempts + 1
        rows.attempts.append(
            {
                "message_id": result.message.id,
                "number": made,
                "worker": worker,
                "started_at": result.started_at,
                "duration_ms": result.duration_ms,
                "status_code": result.status_code,
                "outcome": result.kind,
                "error": result.error,
                "response_excerpt": result.excerpt,
            }
        )
        status, next_at = DeliveryStatus.pending, now
        if result.delivered:
            status = DeliveryStatus.delivered
            rows.delivered += 1
        elif result.kind in ("gone", "disabled"):
            status = DeliveryStatus.disabled
            if result.kind == "gone":
                rows.gone.add(result.message.partner_id)
        else:
            rows.failed += 1
            delay = next_attempt_delay(made, retry_schedule)
            if delay is None:
                status = DeliveryStatus.dead
            else:
                next_at = now + max(delay, result.retry_after or timedelta(0))
        rows.updates.append(
            {
                "message_id": result.message.id,
                "new_status": status.value,
                "new_attempts": made,
                "new_next_attempt_at": next_at,
                "new_delivered_at": now if result.delivered else None,
                "new_status_code": result.status_code,
                "new_error": result.error,
            }
        )
    return rows
