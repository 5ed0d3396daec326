"""What people read: the README's settings table, the Swagger UI text and the partner
guide's samples."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from accident_online.cases.dispute_payloads import DISPUTE_EVENTS
from accident_online.cases.webhook_payloads import OUTBOUND_EVENTS
from accident_online.claims.schemas import ClaimPaymentCreate
from accident_online.external_events.disputes import DISPUTE_TYPES_BY_KIND
from accident_online.external_events.schemas import PARTNER_EVENT
from accident_online.external_events.service import APPLIES_IN
from accident_online.models.partner import PartnerKind
from accident_online.settings import Settings
from timeline_check import undeclared

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


# --- docs/partners.md: its samples hold to the schemas ------------------------------------

PARTNER_GUIDE = ROOT / "docs" / "partners.md"
HEADING_NAME = re.compile(r"`([A-Za-z_.]+)`")


def guide_samples() -> list[tuple[str, Any]]:
    """Each JSON block of the partner guide under a heading that names, in backticks, an
    event type or an operation: (that name, the parsed block)."""
    samples: list[tuple[str, Any]] = []
    named: str | None = None
    block: list[str] | None = None
    for line in PARTNER_GUIDE.read_text(encoding="utf-8").splitlines():
        if block is not None:
            if line.startswith("```"):
                if named is not None:
                    samples.append((named, json.loads("\n".join(block))))
                block = None
            else:
                block.append(line)
        elif line.startswith("#"):
            found = HEADING_NAME.search(line)
            named = found.group(1) if found else None
        elif line.startswith("```json"):
            block = []
    return samples


def _inbound_model(sample: Any) -> type[BaseModel]:
    return type(PARTNER_EVENT.validate_python(sample))


def test_the_partner_guides_samples_are_what_the_service_takes_and_sends() -> None:
    outbound = {**OUTBOUND_EVENTS, **DISPUTE_EVENTS}
    checked: set[str] = set()
    for name, sample in guide_samples():
        if name in APPLIES_IN:  # an event a partner sends
            model = _inbound_model(sample)
        elif name in outbound:  # an event the service sends
            model = outbound[name]
            model.model_validate(sample)
        elif name == "attestClaimPayment":
            ClaimPaymentCreate.model_validate(sample)
            checked.add(name)
            continue
        else:
            raise AssertionError(f"a sample under `{name}`, which is no event type")
        assert sample["type"] == name
        assert undeclared(model, sample, "sample") == [], name
        checked.add(name)

    # What compensation disputes add, for the partners that take part in them.
    assert checked >= {
        *DISPUTE_TYPES_BY_KIND[PartnerKind.appraisal],
        *DISPUTE_TYPES_BY_KIND[PartnerKind.arbitration],
        "confirmation.granted",
        "confirmation.refused",
        "claim.paid",
        "case.appraisal_requested",
        "case.arbitration_requested",
        "case.confirmation_requested",
        "claim.requested",
        "claim.withdrawn",
        "claim.overdue",
        "attestClaimPayment",
    }


def test_the_guides_sample_check_catches_a_wrong_sample() -> None:
    with pytest.raises(ValidationError):
        _inbound_model(
            {"type": "appraisal.completed", "timestamp": "2026-12-06T07:30:00+00:00",
             "data": {"case_id": "0b0c6f5e-9d0a-4f7e-8a55-2f3f2d4b1c9a", "party": 1}}
        )  # fmt: skip
    misspelt = {"type": "claim.withdrawn", "data": {"claim": "c1a2b3c4"}}
    assert undeclared(DISPUTE_EVENTS["claim.withdrawn"], misspelt, "sample") == [
        "sample.data.claim"
    ]
