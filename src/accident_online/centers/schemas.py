from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from accident_online.centers.config import CenterHours
from accident_online.kit.fields import JSON_INTEGER


class CenterRead(BaseModel):
    id: str
    name: str
    districts: list[str]
    online: bool
    capacity: int = Field(description="Queued cases the center takes before new ones overflow.")
    queue_depth: int = Field(description="Cases queued now.")
    hours: CenterHours = Field(
        description="Local time, Asia/Shanghai; equal times: around the clock."
    )


class CenterUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"online": True, "capacity": 40, "hours": {"opens": "07:00", "closes": "22:00"}}
            ]
        },
    )

    online: StrictBool | None = None
    capacity: Annotated[int, Field(ge=0, le=10_000), JSON_INTEGER] | None = None
    hours: CenterHours | None = None
