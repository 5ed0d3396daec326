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


class DeliveryStats(BaseModel):
    pending: int
    dead: int


class StatsRead(BaseModel):
    since: BeijingDateTime
    until: BeijingDateTime
    overall: CenterStats
    centers: list[CenterStats]
    deliveries: DeliveryStats | None = Field(description="Outbound webhooks now (admins only).")
