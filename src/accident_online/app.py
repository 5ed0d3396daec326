"""The application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi

from accident_online.auth.router import router as auth_router
from accident_online.cases.router import router as cases_router
from accident_online.centers.router import router as centers_router
from accident_online.decisions.router import router as decisions_router
from accident_online.decisions.tasks import run_deadlines
from accident_online.delivery.router import router as deliveries_router
from accident_online.delivery.tasks import delivery_worker
from accident_online.evidence.router import router as evidence_router
from accident_online.intake.router import router as intake_router
from accident_online.kit.background import run_periodically
from accident_online.kit.db import Database, create_engine
from accident_online.kit.fields import HEADER_PATTERN, NAME_PATTERN
from accident_online.kit.inputs import refuse_control_characters
from accident_online.kit.limits import BodyLimitMiddleware, RateLimiter
from accident_online.kit.observability import HttpMetrics, RequestContextMiddleware
from accident_online.kit.passwords import configure_hashing
from accident_online.kit.problem_handlers import install_problem_handlers
from accident_online.kit.problems import PROBLEM_MEDIA_TYPE, PayloadTooLarge, Problem
from accident_online.operations.router import router as operations_router
from accident_online.partner_events.router import router as partner_events_router
from accident_online.partners.router import router as partners_router
from accident_online.settings import Settings
from accident_online.settlement.router import router as settlement_router
from accident_online.stats.router import router as stats_router

DESCRIPTION = """
Online handling of minor traffic accidents in Liaocheng (人未伤、车能动): drivers report
through the mobile app, one of nine remote liability centers decides liability from
the photos, and the decision flows to insurers, mediation and the court through one
shared case record.

**Officers**: press *Authorize*, sign in with your username and password (password
flow), then work your center's queue.
**Partner systems**: client-credentials flow with your client id and secret.

Every error is an RFC 9457 `application/problem+json` document with a stable `code`.
"""


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_hashing(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    if database is None:
        url = settings.resolved_database_url
        engine = create_engine(
            url,
            pool_size=settings.database_pool_size,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            connect_timeout=settings.database_connect_timeout_seconds,
        )
        database = Database(engine, url=url)
    owned_database = database

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = []
        if settings.run_housekeeping:
            tasks.append(
                asyncio.create_task(
                    run_periodically(
                        "deadlines",
                        lambda: run_deadlines(owned_database),
                        every_seconds=settings.housekeeping_interval_seconds,
                        stop=stop,
                    )
                )
            )
        if settings.run_delivery_worker:
            worker = delivery_worker(owned_database, settings)
            tasks.append(asyncio.create_task(worker.run(stop)))
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await owned_database.dispose()

    app = FastAPI(
        title="accident-online",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        swagger_ui_parameters={"persistAuthorization": True, "displayRequestDuration": True},
        # First of every route's dependencies: before authentication and the database.
        dependencies=[Depends(refuse_control_characters)],
        # Starlette's redirect to the path with(out) the slash builds its Location from
        # the Host header, which a client controls: a wrong path is a 404 problem instead.
        redirect_slashes=False,
    )
    metrics = HttpMetrics()
    app.state.settings = settings
    app.state.database = database
    app.state.jwt_key = settings.jwt_key()
    app.state.metrics = metrics

    app.state.sign_in_limiter = RateLimiter(
        per_minute=settings.rate_limit_sign_in_per_minute,
        burst=max(1, int(settings.rate_limit_sign_in_per_minute // 3)),
    )
    app.state.report_limiter = RateLimiter(
        per_minute=settings.rate_limit_reports_per_minute,
        burst=max(1, int(settings.rate_limit_reports_per_minute // 6)),
    )

    install_problem_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        json_limit=settings.max_body_bytes,
        upload_limit=settings.max_upload_bytes,
    )
    # Added last, so outermost: every response, 413s included, carries the request id.
    app.add_middleware(RequestContextMiddleware, metrics=metrics)

    app.include_router(operations_router)
    v1 = APIRouter(prefix="/v1")
    v1.include_router(auth_router)
    v1.include_router(partners_router)
    v1.include_router(intake_router)
    v1.include_router(cases_router)
    v1.include_router(evidence_router)
    v1.include_router(centers_router)
    v1.include_router(decisions_router)
    v1.include_router(settlement_router)
    v1.include_router(stats_router)
    v1.include_router(deliveries_router)
    v1.include_router(partner_events_router)
    app.include_router(v1)

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with every error response declared as a problem document."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    for name, definition in (
        Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        .get("$defs", {})
        .items()
    ):
        schemas.setdefault(name, definition)
    schemas.get("Problem", {}).pop("$defs", None)
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    _declare_refused_characters(schema)
    too_large = f"`{PayloadTooLarge.code}`: {PayloadTooLarge.title}"
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            if "requestBody" in operation:
                # kit.limits.BodyLimitMiddleware refuses an oversized body on any route.
                responses.setdefault("413", {"description": too_large})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}}
                    if status == "422":
                        response["description"] = "Invalid request: see `errors`."
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    app.openapi_schema = schema
    return schema


def _declare_refused_characters(schema: dict[str, Any]) -> None:
    """kit.inputs refuses control characters in every parameter, and invisible ones in
    path and query parameters: the document says so where a parameter has no pattern."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                declared = parameter.get("schema", {})
                for value in [declared, *declared.get("anyOf", [])]:
                    if value.get("type") != "string" or {"pattern", "enum", "format"} & set(value):
                        continue
                    in_header = parameter.get("in") == "header"
                    value["pattern"] = HEADER_PATTERN if in_header else NAME_PATTERN
