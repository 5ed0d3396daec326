from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from accident_online.evidence.links import EvidenceLinks, link_key
from accident_online.settings import Settings


def evidence_links(request: Request) -> EvidenceLinks:
    """Signs photo links for this request's reader, on the scheme and host they used."""
    settings: Settings = request.app.state.settings
    return EvidenceLinks(
        key=link_key(request.app.state.jwt_key),
        ttl_seconds=settings.evidence_link_ttl_seconds,
        base_url=str(request.base_url).rstrip("/"),
    )


EvidenceLinksDep = Annotated[EvidenceLinks, Depends(evidence_links)]
