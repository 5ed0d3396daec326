"""The centers shipped with the service, read from ``centers.toml`` in the package."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from pydantic import BaseModel, Field


class CenterHours(BaseModel):
    opens: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    closes: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class CenterConfig(BaseModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]{1,31}$")
    name: str
    districts: list[str] = Field(min_length=1)
    capacity: int = Field(ge=0)
    hours: CenterHours


def load_default_centers() -> list[CenterConfig]:
    text = resources.files("accident_online").joinpath("centers.toml").read_text("utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    return [CenterConfig.model_validate(entry) for entry in data["centers"]]
