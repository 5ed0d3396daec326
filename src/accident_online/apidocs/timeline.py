"""The case timeline in the OpenAPI document: each event's `data` typed by its `type`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from accident_online.apidocs.webhooks import add_component, camel_case

EVENT_COMPONENT = "CaseEventRead"


def entry_name(event_type: str) -> str:
    """`case.claim_expired` → `CaseClaimExpiredEntry`."""
    name = camel_case(event_type)
    return name[:1].upper() + name[1:] + "Entry"


def type_timeline_events(
    schema: dict[str, Any],
    events: Mapping[str, type[BaseModel]],
    *,
    component: str = EVENT_COMPONENT,
) -> None:
    """Makes ``component`` (a timeline event, `data` any object) a union of one schema per
    event type, told apart by `type`, each with its `data` model's schema."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    base = schemas.get(component)
    if base is None:
        return
    mapping: dict[str, str] = {}
    for event_type, model in events.items():
        name = entry_name(event_type)
        properties = {
            **base["properties"],
            "type": {"type": "string", "const": event_type, "title": "Type"},
            "data": add_component(schemas, model),
        }
        schemas[name] = {
            "title": name,
            "description": f"A `{event_type}` event.",
            "type": "object",
            "properties": properties,
            "required": base["required"],
        }
        mapping[event_type] = f"#/components/schemas/{name}"
    schemas[component] = {
        "title": component,
        "description": "One event of the case's timeline, its `data` by `type`. A later "
        "version may add event types and keys: skip a type you do not know, ignore a key.",
        "oneOf": [{"$ref": ref} for ref in mapping.values()],
        "discriminator": {"propertyName": "type", "mapping": mapping},
    }
