from __future__ import annotations

import asyncio
import ipaddress
import logging

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from accident_online.kit.db import Database
from accident_online.kit.i18n import _
from accident_online.kit.migrations import current_revisions, head_revisions
from accident_online.kit.problems import NotFound, ServiceUnavailable, problem_responses
from accident_online.stats.metrics import domain_metrics

logger = logging.getLogger("accident_online.operations")

logger = logging.getLogger("accident_online.operations")

router = APIRouter(tags=["operations"])


class NotReady(ServiceUnavailable):
    code = "not-ready"
    title = _("Not ready")


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    revision: list[str]


@router.get(
    "/healthz", operation_id="getHealth", summary="Is the process up?", response_model=Health
)
async def healthz() -> Health:
    """Answers as long as the process serves requests; touches nothing else."""
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="getReadiness",
    summary="Can the service take traffic?",
    response_model=Readiness,
    responses=problem_responses(NotReady),
)
async def readyz(request: Request) -> Readiness:
    """Ready when the database answers and is migrated to the head revision; 503 otherwise."""
    database: Database = request.app.state.database
    try:
        revisions = await asyncio.wait_for(current_revisions(database.engine), timeout=5)
    except Exception as error:
        raise NotReady(_("The database is unreachable.")) from error
    heads = head_revisions()
    if revisions != heads:
        have = ", ".join(sorted(revisions)) or "none"
        raise NotReady(
            _(
                "The database is at revision {have}; this release needs {needed}. "
                "Run 'accident-online migrate'.",
                have=have,
                needed=", ".join(sorted(heads)),
            )
        )
    return Readiness(
        status="ready", database=database.engine.dialect.name, revision=sorted(revisions)
    )


@router.get(
    "/metrics",
    operation_id="getMetrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}},
        **problem_responses(NotFound),
    },
)
async def metrics(request: Request) -> Response:
    """Prometheus text format, for scrapers on the internal network only."""
    client = request.client.host if request.client else None
    if not _is_internal(client, request.app.state.settings.metrics_allowed_networks):
        raise NotFound()
    text = generate_latest(request.app.state.metrics.registry)
    database: Database = request.app.state.database
    try:
        async with database.session(write=False) as session:
            text += await asyncio.wait_for(domain_metrics(session), timeout=5)
    except Exception:
        # The HTTP metrics are still worth having while the database is away.
        logger.warning("domain metrics unavailable", exc_info=True)
    return Response(text, media_type=CONTENT_TYPE_LATEST)


def _is_internal(host: str | None, networks: list[str]) -> bool:
    if host is None:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)
