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


class DeliveryStats(BaseModel):
    pending: int
    dead: int


class CompensationStats(BaseModel):
    """Over the cases whose liability was decided in the range."""

    cases_per_resolution: dict[str, int] = Field(
        description="insurer_claim, mediation, litigation, arbitration → cases."
    )
    settled: int = Field(description="Cases whose compensation was settled.")
    settled_without_court: int = Field(
        description="Of those, without a judgment, the court's 诉前调解 or 司法确认."
    )
    share_settled_without_court: float | None
    minutes_to_last_payment_median: float | None = Field(
        description="From the decision on liability to the last claim paid, closed cases."
    )
    minutes_to_last_payment_p90: float | None
    overdue_claims_per_insurer: dict[str, int] = Field(
        description="Insurer code → claims past their due date now."
    )


class StatsRead(BaseModel):
    since: BeijingDateTime
    until: BeijingDateTime
    overall: CenterStats
    centers: list[CenterStats]
    deliveries: DeliveryStats | None = Field(description="Outbound webhooks now (admins only).")
    compensation: CompensationStats
