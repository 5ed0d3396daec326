from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel


class Center(SQLModel, table=True):
    """One of the nine remote liability centers (远程定责中心)."""

    __tablename__ = "centers"

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    name: str = Field(sa_column=Column(String(100), nullable=False))
    districts: list[str] = Field(sa_column=Column(JSON, nullable=False))
    online: bool = Field(default=True)
    capacity: int = Field(default=50)
    # {"opens": "HH:MM", "closes": "HH:MM"} in Asia/Shanghai; equal times: always open.
    hours: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
