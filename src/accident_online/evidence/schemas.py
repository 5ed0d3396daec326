"""The upload form and what an upload answers."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from accident_online.cases.evidence_kinds import PER_PARTY_KINDS, EvidenceKind
from accident_online.cases.schemas import EvidenceRead, MissingEvidence
from accident_online.evidence.sniffing import ACCEPTED_TYPES
from accident_online.models.case import CaseStatus

_PER_PARTY = ", ".join(f"`{kind.value}`" for kind in sorted(PER_PARTY_KINDS))

# The route reads the raw multipart stream itself (FastAPI's Form/UploadFile would spool
# the whole body first), so the form is described to OpenAPI, and Swagger UI, by hand.
UPLOAD_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["kind", "file"],
                    "properties": {
                        "kind": {
                            "$ref": "#/components/schemas/EvidenceKind",
                            "description": "What the photo shows.",
                        },
                        "party": {
                            "type": "integer",
                            "minimum": 0,
                            "description": (
                                f"The party (vehicle) index; required for {_PER_PARTY}, "
                                "not allowed for the other kinds."
                            ),
                        },
                        "sha256": {
                            "type": "string",
                            "pattern": "^[0-9a-fA-F]{64}$",
                            "description": (
                                "Optional: the file's SHA-256 in hex, as the phone computed "
                                "it. The received bytes must match it, or the upload fails "
                                "with `422 evidence-digest-mismatch` and stores nothing. Sent "
                                "with `size` before `file`, it lets the photo go to storage "
                                "while it arrives (a faster upload)."
                            ),
                        },
                        "size": {
                            "type": "integer",
                            "minimum": 0,
                            "description": (
                                "Optional: the file's length in bytes; checked like "
                                "`sha256`. Sent before `file`, a longer file is stopped at "
                                "this length and one over the limit before it is sent."
                            ),
                        },
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "contentMediaType": "application/octet-stream",
                            "description": (
                                "The photo: JPEG, PNG, HEIC/HEIF or WebP, recognised from "
                                "its bytes whatever its declared type."
                            ),
                        },
                    },
                },
                "encoding": {"file": {"contentType": ", ".join(ACCEPTED_TYPES)}},
            }
        },
    }
}


class EvidenceUploaded(EvidenceRead):
    """The stored evidence, and what the case still needs."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "7d3c0a2e-5b1f-4e8a-9c61-0f2b3a4d5e6f",
                    "kind": "plate",
                    "party": 1,
                    "content_type": "image/heic",
                    "size": 1843211,
                    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "uploaded_at": "2026-11-28T08:21:07+08:00",
                    "content_url": "/v1/cases/0b0c6f5e-9d0a-4f7e-8a55-2f3f2d4b1c9a/evidence/"
                    "7d3c0a2e-5b1f-4e8a-9c61-0f2b3a4d5e6f/content",
                    "view_url": "https://accident-online.example/v1/cases/"
                    "0b0c6f5e-9d0a-4f7e-8a55-2f3f2d4b1c9a/evidence/"
                    "7d3c0a2e-5b1f-4e8a-9c61-0f2b3a4d5e6f/view?exp=1796000000&m=1"
                    "&sig=3q2-7wQbXzYc1JrXh0cH0d8g6bq5Hh4rW1bKZc2iQy8",
                    "withheld": False,
                    "missing": ["collision_point"],
                    "missing_evidence": [{"kind": "collision_point", "party": None}],
                    "missing_confirmations": [1],
                    "status": "awaiting_evidence",
                    "version": 6,
                }
            ]
        }
    )

    missing: list[EvidenceKind] = Field(
        description="Evidence kinds the case still needs (per-party kinds once); [] when complete."
    )
    missing_evidence: list[MissingEvidence] = Field(
        description="Exactly what is still missing, by party."
    )
    missing_confirmations: list[int] = Field(
        description="The parties whose confirmation is still missing; [] when all confirmed."
    )
    status: CaseStatus = Field(
        description="The case's status after this upload: `queued` once no photo and no "
        "party's confirmation is missing."
    )
    version: int = Field(description="The case's version after this upload.")
