"""A 201 names where the new resource is read: its `Location`, declared for the document."""

from __future__ import annotations

from typing import Any


def created_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entry of a 201 with its `Location` (apidocs.responses makes it
    the shared header, keeping this description)."""
    return {
        201: {"headers": {"Location": {"description": description, "schema": {"type": "string"}}}}
    }
