"""Loading the case a request names, for whoever may see it; If-Match; photo links."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, Path, Request

from accident_online.auth.dependencies import (
    AppPartnerPrincipal,
    CurrentPrincipal,
    OfficerPrincipal,
)
from accident_online.cases.evidence_links import EvidenceLinks, link_key
from accident_online.cases.exceptions import PreconditionFailed, PreconditionRequired
from accident_online.cases.service import load_visible_case
from accident_online.kit.db import SessionDep
from accident_online.kit.i18n import _
from accident_online.models.case import Case
from accident_online.settings import Settings

CaseId = Annotated[uuid.UUID, Path(description="案件 id · The case's id.")]


async def case_for_reader(
    case_id: CaseId, session: SessionDep, principal: CurrentPrincipal
) -> Case:
    """The case, if the caller may see it (404 otherwise): object-level authorisation."""
    return await load_visible_case(session, principal, case_id)


CaseForReader = Annotated[Case, Depends(case_for_reader)]


async def case_for_officer(
    case_id: CaseId, session: SessionDep, principal: OfficerPrincipal
) -> Case:
    """The case, locked for this change, if it belongs to the officer's center (else 404)."""
    return await load_visible_case(session, principal, case_id, for_update=True)


CaseForOfficer = Annotated[Case, Depends(case_for_officer)]


async def case_for_filing_app(
    case_id: CaseId, session: SessionDep, principal: AppPartnerPrincipal
) -> Case:
    """The case, locked for this change, if this app filed it (else 404)."""
    return await load_visible_case(session, principal, case_id, for_update=True)


CaseForFilingApp = Annotated[Case, Depends(case_for_filing_app)]

# Optional to FastAPI, so that its absence is our 428 and not a 422; the OpenAPI document
# declares it required (apidocs.openapi).
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='必填：上次读取案件时的 `ETag`，例如 `"7"`；不带 → 428，已过期 → 412，'
        '`*` → 428 · Required: the case\'s ETag as you last read it, e.g. `"7"`; '
        "missing → 428, stale → 412, `*` → 428.",
    ),
]


def require_version(case: Case, if_match: str | None) -> None:
    """Optimistic concurrency: the change applies only to the version the officer saw.

    ``*`` ("any version") is refused like a missing header, with 428: it would let a
    change land on a case the officer never saw, which is what If-Match is here to
    prevent; 412 would tell the client to reload, and a reload would not help it.
    """
    if if_match is None or not if_match.strip():
        raise PreconditionRequired()
    tags = {tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")}
    if "*" in tags:
        raise PreconditionRequired(
            _(
                "If-Match: * does not say which version you saw; "
                'send the case\'s ETag, e.g. "{version}".',
                version=case.version,
            )
        )
    if str(case.version) not in tags:
        raise PreconditionFailed(
            _(
                "The case is at version {version}; you sent If-Match {if_match}.",
                version=case.version,
                if_match=if_match,
            ),
            headers={"ETag": f'"{case.version}"'},
        )


async def case_at_version(case: CaseForOfficer, if_match: IfMatch = None) -> Case:
    """The officer's case, locked, and still at the version the officer last read."""
    require_version(case, if_match)
    return case


CaseAtVersion = Annotated[Case, Depends(case_at_version)]


def evidence_links(request: Request) -> EvidenceLinks:
    """Signs photo links for this request's reader, on the scheme and host they used."""
    settings: Settings = request.app.state.settings
    return EvidenceLinks(
        key=link_key(request.app.state.jwt_key),
        ttl_seconds=settings.evidence_link_ttl_seconds,
        base_url=str(request.base_url).rstrip("/"),
    )


EvidenceLinksDep = Annotated[EvidenceLinks, Depends(evidence_links)]
