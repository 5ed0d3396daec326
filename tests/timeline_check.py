"""Stored timeline events against their data models (cases/timeline_events.py).

conftest.py runs ``stored_event_problems`` on every test's database before its rollback, so
any test that writes an event of a type with no model, or data its model does not declare,
fails with what to add; tests/cases/test_timeline_documented.py uses it on a full flow.
"""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from accident_online.cases.timeline_events import TIMELINE_EVENTS
from accident_online.models.case import CaseEvent

HOW_TO_FIX = (
    "timeline events that src/accident_online/cases/timeline_events.py does not describe: "
    "add (or extend) the type's data model there and its line in TIMELINE_EVENTS"
)


def undeclared(model: type[BaseModel], value: Any, where: str = "data") -> list[str]:
    """Keys of ``value`` that ``model`` (and the models of its fields) does not declare."""
    if not isinstance(value, dict):
        return []
    names = {field.alias or name: field for name, field in model.model_fields.items()}
    extra = [f"{where}.{key}" for key in value if key not in names]
    for key, field in names.items():
        for candidate in (field.annotation, *get_args(field.annotation)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                extra += undeclared(candidate, value.get(key), f"{where}.{key}")
            for item in get_args(candidate):
                if isinstance(item, type) and issubclass(item, BaseModel):
                    for entry in value.get(key) or []:
                        extra += undeclared(item, entry, f"{where}.{key}[]")
    return extra


def event_problems(event_type: str, data: Any) -> list[str]:
    """What is wrong with one stored event's data, as lines to read."""
    model = TIMELINE_EVENTS.get(event_type)
    if model is None:
        return [f"{event_type}: no data model"]
    problems = []
    try:
        model.model_validate(data)
    except ValidationError as error:
        problems.append(f"{event_type}: {error}")
    return problems + [f"{event_type}: undeclared {key}" for key in undeclared(model, data)]


async def stored_event_problems(connection: AsyncConnection) -> list[str]:
    """Every stored event's problems; none when the database cannot be read any more (a
    failed test's aborted transaction: its own failure is what to read)."""
    try:
        rows = (await connection.execute(select(CaseEvent.type, CaseEvent.data))).all()
    except DBAPIError:
        return []
    return [problem for event_type, data in rows for problem in event_problems(event_type, data)]
