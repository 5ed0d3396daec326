"""Gauges and counters of the case record and the outbox for Prometheus, read at scrape.

Read from the database rather than counted in memory, so that every API process reports
the same numbers however many processes and workers share the database.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.claims import repository as claims_repository
from accident_online.intake.eligibility import ELIGIBILITY_RULES
from accident_online.kit.time import utc_now
from accident_online.stats import repository


class _Snapshot(Collector):
    def __init__(self, families: list[GaugeMetricFamily | CounterMetricFamily]) -> None:
        self.families = families

    def collect(self):  # type: ignore[no-untyped-def]
        return iter(self.families)


async def domain_metrics(session: AsyncSession) -> bytes:
    now = utc_now()
    cases = GaugeMetricFamily(
        "accident_online_cases", "Cases by center and status.", labels=["center", "status"]
    )
    queue = GaugeMetricFamily(
        "accident_online_queue_depth", "Queued cases by center.", labels=["center"]
    )
    depths: dict[str, int] = {}
    for center, status, count in await repository.cases_by_center_and_status(session):
        cases.add_metric([center, status], count)
        if status == "queued":
            depths[center] = count
    for center, count in sorted(depths.items()):
        queue.add_metric([center], count)
    overdue = GaugeMetricFamily(
        "accident_online_overdue_determinations",
        "Cases waiting past the determination's time limit (order 146 art. 24), by center.",
        labels=["center"],
    )
    late_reviews = GaugeMetricFamily(
        "accident_online_overdue_reviews",
        "Reviews past their time limit (order 146 art. 74), by center.",
        labels=["center"],
    )
    for center, (determinations, reviews) in sorted(
        (await repository.overdue_by_center(session, now=now)).items()
    ):
        overdue.add_metric([center], determinations)
        late_reviews.add_metric([center], reviews)
    messages = GaugeMetricFamily(
        "accident_online_webhook_messages",
        "Outbound webhook messages by status.",
        labels=["status"],
    )
    for status, count in sorted((await repository.messages_by_status(session)).items()):
        messages.add_metric([status], count)
    attempts = CounterMetricFamily(
        "accident_online_webhook_attempts",
        "Outbound webhook delivery attempts by outcome.",
        labels=["outcome"],
    )
    for outcome, count in sorted((await repository.attempts_by_outcome(session)).items()):
        attempts.add_metric([outcome], count)
    oldest = await repository.oldest_due_message(session, now=now)
    lag = GaugeMetricFamily(
        "accident_online_webhook_delivery_lag_seconds",
        "How long the oldest due webhook message has been waiting.",
    )
    lag.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
    claims = GaugeMetricFamily(
        "accident_online_claim_lines", "Claim lines insurers pay, by status.", labels=["status"]
    )
    for status, count in sorted((await claims_repository.lines_by_status(session)).items()):
        claims.add_metric([status], count)
    claims_overdue = GaugeMetricFamily(
        "accident_online_claims_overdue",
        "Claim lines unpaid past their due date, by insurer code.",
        labels=["insurer"],
    )
    for code, count in sorted(
        (await claims_repository.overdue_by_insurer(session, now=now)).items()
    ):
        claims_overdue.add_metric([code], count)
    late = GaugeMetricFamily(
        "accident_online_late_reports",
        "Cases filed as late reports (order 146 art. 18), by center and whether taken.",
        labels=["center", "taken"],
    )
    for center, (count, taken) in sorted(
        (await repository.late_reports_by_center_now(session)).items()
    ):
        late.add_metric([center, "true"], taken)
        late.add_metric([center, "false"], count - taken)
    refused_total, by_reason = await repository.refusals(
        session, since=None, until=None, districts=None
    )
    refused = CounterMetricFamily(
        "accident_online_refused_reports", "Reports refused as not eligible."
    )
    refused.add_metric([], refused_total)
    exclusions = CounterMetricFamily(
        "accident_online_refused_report_reasons",
        "Failed eligibility rules of refused reports, by rule code.",
        labels=["reason"],
    )
    for rule in ELIGIBILITY_RULES:
        exclusions.add_metric([rule.code], by_reason.get(rule.code, 0))
    registry = CollectorRegistry()
    registry.register(
        _Snapshot(
            [
                cases,
                queue,
                overdue,
                late_reviews,
                messages,
                attempts,
                lag,
                late,
                refused,
                exclusions,
                claims,
                claims_overdue,
            ]
        )
    )
    return generate_latest(registry)
