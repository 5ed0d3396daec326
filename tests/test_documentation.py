"""What people read: the README's settings table and the Swagger UI text."""

from __future__ import annotations

import re
from pathlib import Path

from accident_online.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_readme_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    listed = set(re.findall(r"`(ACCIDENT_ONLINE_[A-Z0-9_]+)`", readme))
    settings = {f"ACCIDENT_ONLINE_{name.upper()}" for name in Settings.model_fields}
    assert settings - listed == set(), "settings missing from the README's table"


def test_readme_quick_start_is_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in quick_start.splitlines()[1:] if line.strip()]
    assert commands == ["make run", "make test"]


async def test_every_operation_is_explained_for_people(client) -> None:
    document = (await client.get("/openapi.json")).json()
    undocumented = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not operation.get("summary") or not operation.get("description"):
                undocumented.append(f"{method.upper()} {path}")
    assert undocumented == []


async def test_every_json_request_body_has_an_example(client) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    missing = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json")
            if body is None:
                continue
            ref = body["schema"].get("$ref", "")
            schema = schemas.get(ref.rsplit("/", 1)[-1], body["schema"])
            if not (
                body.get("example")
                or body.get("examples")
                or schema.get("examples")
                or schema.get("example")
            ):
                missing.append(f"{method.upper()} {path}")
    assert missing == []
