from __future__ import annotations

from pydantic import BaseModel, Field

from accident_online.kit.time import BeijingDateTime


class CenterStats(BaseModel):
    center_id: str | None = Field(description="null for the overall figures")
    reports: int = Field(description="Cases reported in the range.")
    decided_online: int = Field(description="Of those, decided by a remote officer.")
    referred_offline: int = Field(description="Of those, referred offline.")
    share_online: float | None = Field(
        description="decided online ÷ (decided online + referred offline); null with neither."
    )
    minutes_to_decision_median: float | None
    minutes_to_decision_p90: float | None
    queue_depth: int = Field(description="Cases queued now.")
    overdue_determinations: int = Field(
        default=0, description="Cases waiting past the determination's time limit now."
    )
    overdue_reviews: int = Field(default=0, description="Reviews past their time limit now.")
    late_reports: int = Field(
        default=0,
        description="Of the reports, those filed after the reporting window (order 146 art. 18).",
    )
    late_reports_taken: int = Field(
        default=0, description="Of the late reports, those an officer took."
    )


class DeliveryStats(BaseModel):
    pending: int
    dead: int


class CompensationStats(BaseModel):
    """Over the cases whose liability became final in the range (`final_at`)."""

    cases_per_resolution: dict[str, int] = Field(
        description="insurer_claim, mediation, litigation, arbitration → cases."
    )
    settled: int = Field(description="Cases whose compensation was settled.")
    settled_without_court: int = Field(
        description="Of those, without a judgment, the court's 诉前调解 or 司法确认."
    )
    share_settled_without_court: float | None
    minutes_to_last_payment_median: float | None = Field(
        description="From final liability (`final_at`) to the last claim paid, closed cases."
    )
    minutes_to_last_payment_p90: float | None
    overdue_claims_per_insurer: dict[str, int] = Field(
        description="Insurer code → claims past their due date now."
    )


class RefusalStats(BaseModel):
    """Reports refused as not eligible in the range (nothing else of them is kept)."""

    reports: int = Field(description="Refused reports.")
    by_reason: dict[str, int] = Field(
        description="Per eligibility rule code (every code, 0 where none): how many refused "
        "reports failed it; a report failing several counts for each.",
        examples=[{"injuries": 3, "school_bus_overload_speeding": 0, "suspected_offence": 1}],
    )


class StatsRead(BaseModel):
    since: BeijingDateTime
    until: BeijingDateTime
    overall: CenterStats
    centers: list[CenterStats]
    refusals: RefusalStats = Field(
        description="Refused reports: in the officer's center's districts, or all for admins."
    )
    deliveries: DeliveryStats | None = Field(description="Outbound webhooks now (admins only).")
    compensation: CompensationStats
