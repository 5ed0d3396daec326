"""The application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline

from accident_online.apidocs import openapi as apidocs_openapi
from accident_online.apidocs import responses as apidocs_responses
from accident_online.apidocs import timeline as apidocs_timeline
from accident_online.apidocs import webhooks as apidocs_webhooks
from accident_online.apidocs.router import VENDOR_ASSETS_URL
from accident_online.apidocs.router import router as apidocs_router
from accident_online.auth.accounts import AccountStates
from accident_online.auth.exceptions import InvalidAccessToken, RevokedAccessToken
from accident_online.auth.router import router as auth_router
from accident_online.cases.determination_rules import limits_from
from accident_online.cases.dispute_payloads import DISPUTE_EVENTS
from accident_online.cases.router import router as cases_router
from accident_online.cases.timeline_events import TIMELINE_EVENTS
from accident_online.cases.webhook_payloads import OUTBOUND_EVENTS
from accident_online.centers.router import router as centers_router
from accident_online.claims.router import case_router as case_claims_router
from accident_online.claims.router import router as claims_router
from accident_online.claims.rules import rules_from
from accident_online.decisions.late_report_router import router as late_report_router
from accident_online.decisions.router import queue_router as officers_queue_router
from accident_online.decisions.router import router as decisions_router
from accident_online.decisions.tasks import run_deadlines
from accident_online.determinations.router import router as determinations_router
from accident_online.disputes.responses_router import router as responses_router
from accident_online.disputes.router import router as disputes_router
from accident_online.disputes.tasks import run_claim_deadlines
from accident_online.evidence.router import router as evidence_router
from accident_online.evidence.storage import open_store
from accident_online.evidence.sweep import keep_swept, sweep_quietly
from accident_online.external_events.router import router as external_events_router
from accident_online.external_events.schemas import INBOUND_EVENTS
from accident_online.intake.eligibility import ELIGIBILITY_RULES, NOT_ELIGIBLE
from accident_online.intake.router import router as intake_router
from accident_online.kit.background import run_periodically
from accident_online.kit.db import Database
from accident_online.kit.fields import HEADER_PATTERN, NAME_PATTERN
from accident_online.kit.i18n import load_catalogues
from accident_online.kit.inputs import refuse_control_characters
from accident_online.kit.limits import BodyLimitMiddleware, Limits
from accident_online.kit.observability import HttpMetrics, RequestContextMiddleware
from accident_online.kit.passwords import configure_hashing
from accident_online.kit.problem_handlers import install_problem_handlers
from accident_online.kit.problems import (
    PROBLEM_MEDIA_TYPE,
    STATUS_ERRORS,
    AppError,
    PayloadTooLarge,
    Problem,
    Unauthorized,
    ValidationFailed,
    problem_examples,
)
from accident_online.operations.router import router as operations_router
from accident_online.partners.router import router as partners_router
from accident_online.reviews.router import queue_router as reviews_queue_router
from accident_online.reviews.router import router as reviews_router
from accident_online.settings import Settings
from accident_online.settlement.router import router as settlement_router
from accident_online.stats.router import router as stats_router
from accident_online.webhooks.router import router as deliveries_router
from accident_online.webhooks.schemas import OUTBOUND_EVENT_MARK
from accident_online.webhooks.subscriptions import AUDIENCE_TEXT, SUBSCRIPTIONS
from accident_online.webhooks.tasks import delivery_worker

DESCRIPTION = """
Online handling of minor traffic accidents in Liaocheng (人未伤、车能动): drivers report
through the mobile app, one of nine remote liability centers decides liability from
the photos, and the decision flows to insurers, mediation and the court through one
shared case record.

**民警**：点 *Authorize*，在 password 下输入用户名和密码登录，然后按「远程定责 · Officers」
中的顺序办案。时间均为北京时间（+08:00）。
**Officers**: press *Authorize*, sign in with your username and password (password
flow), then work your center's queue under 远程定责 · Officers.
**Partner systems**: client-credentials flow with your client id and secret.

Every error is an RFC 9457 `application/problem+json` document with a stable `code`.
"""


CONTACT = {
    "name": "聊城市公安局交通警察支队 · Liaocheng traffic police, accident-online",
    "url": "https://accident-online.example/",
    "email": "accident-online@accident-online.example",
}
LICENSE = {"name": "Proprietary", "url": "https://accident-online.example/terms"}


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    load_catalogues()
    configure_hashing(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    if database is None:
        database = settings.open_database()
    owned_database = database

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = []
        if settings.run_housekeeping:
            tasks.append(
                asyncio.create_task(
                    run_periodically(
                        "deadlines",
                        lambda: run_deadlines(owned_database, limits_from(settings)),
                        every_seconds=settings.housekeeping_interval_seconds,
                        stop=stop,
                    )
                )
            )
            tasks.append(
                asyncio.create_task(
                    run_periodically(
                        "claims",
                        lambda: run_claim_deadlines(owned_database, rules_from(settings)),
                        every_seconds=settings.housekeeping_interval_seconds,
                        stop=stop,
                    )
                )
            )
        if settings.run_housekeeping:
            # Before the first request: what a killed process left in the evidence store.
            storage_dir = open_store(settings)
            grace = settings.evidence_sweep_grace_seconds
            await sweep_quietly(owned_database, storage_dir, grace_seconds=grace)
            tasks.append(
                asyncio.create_task(
                    keep_swept(
                        owned_database,
                        storage_dir,
                        grace_seconds=grace,
                        every_seconds=settings.evidence_sweep_interval_seconds,
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
            await application.state.limits.aclose()
            await owned_database.dispose()

    # The docs pages are apidocs.router's; FastAPIOffline serves their assets (see there).
    app = FastAPIOffline(
        title="accident-online",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        static_url=VENDOR_ASSETS_URL,
        openapi_tags=apidocs_openapi.TAGS,
        swagger_ui_parameters={
            "persistAuthorization": True,
            "displayRequestDuration": True,
            "tryItOutEnabled": True,
        },
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

    app.state.limits = Limits(redis_url=settings.redis_url, key_prefix=settings.redis_key_prefix)
    app.state.accounts = AccountStates(ttl_seconds=settings.account_check_seconds)

    install_problem_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        json_limit=settings.max_body_bytes,
        upload_limit=settings.max_upload_bytes,
    )
    # Added last, so outermost: every response, 413s included, carries the request id.
    app.add_middleware(
        RequestContextMiddleware, metrics=metrics, trusted_proxies=settings.trusted_proxies
    )

    app.include_router(operations_router)
    app.include_router(apidocs_router)
    v1 = APIRouter(prefix="/v1")
    v1.include_router(auth_router)
    v1.include_router(partners_router)
    v1.include_router(intake_router)
    v1.include_router(cases_router)
    v1.include_router(evidence_router)
    v1.include_router(centers_router)
    v1.include_router(decisions_router)
    v1.include_router(responses_router)
    v1.include_router(late_report_router)
    v1.include_router(officers_queue_router)
    v1.include_router(determinations_router)
    v1.include_router(reviews_router)
    v1.include_router(reviews_queue_router)
    v1.include_router(settlement_router)
    v1.include_router(disputes_router)
    v1.include_router(claims_router)
    v1.include_router(case_claims_router)
    v1.include_router(stats_router)
    v1.include_router(deliveries_router)
    v1.include_router(external_events_router)
    app.include_router(v1)

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with every error response declared as a problem document."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=[
            {"url": public_url, "description": "accident-online"}
            if (public_url := app.state.settings.public_url)
            else {"url": "/", "description": "The server this document came from"}
        ],
        contact=CONTACT,
        license_info=LICENSE,
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
    for path, path_item in schema.get("paths", {}).items():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            if "requestBody" in operation:
                # kit.limits.BodyLimitMiddleware refuses an oversized body on any route.
                responses.setdefault("413", {"description": too_large})
            # kit.inputs.refuse_control_characters, every route's first dependency, refuses
            # a control character in any header or parameter.
            responses.setdefault("422", {"description": "Invalid request: see `errors`."})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    # The examples problem_responses gave, or (413, FastAPI's own 422) the
                    # status's generic problem.
                    declared = response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {})
                    generic = STATUS_ERRORS.get(int(status))
                    examples = declared.get("examples") or (
                        problem_examples(generic) if generic else None
                    )
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}}
                    if examples:
                        response["content"][PROBLEM_MEDIA_TYPE]["examples"] = {
                            code: {**example, "value": {**example["value"], "instance": path}}
                            for code, example in examples.items()
                        }
                    if status == "422" and "`" not in response.get("description", ""):
                        response["description"] = "Invalid request: see `errors`."
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    apidocs_openapi.refine_for_officers(schema)
    apidocs_webhooks.name_request_bodies(schema)
    apidocs_webhooks.add_inbound_events(schema, INBOUND_EVENTS, operation_id="receivePartnerEvent")
    apidocs_webhooks.add_outbound_webhooks(
        schema,
        {**OUTBOUND_EVENTS, **DISPUTE_EVENTS},
        {
            event_type: " and ".join(AUDIENCE_TEXT[audience] for audience in sorted(audiences))
            for event_type, audiences in SUBSCRIPTIONS.items()
        },
        mark=OUTBOUND_EVENT_MARK,
    )
    apidocs_timeline.type_timeline_events(schema, TIMELINE_EVENTS)
    apidocs_responses.declare_headers(schema)
    apidocs_responses.declare_public_operations(schema)
    apidocs_responses.type_problems(
        schema,
        media_type=PROBLEM_MEDIA_TYPE,
        reasons=[rule.code for rule in ELIGIBILITY_RULES],
        not_eligible_detail=str(NOT_ELIGIBLE),
        internal=problem_examples(AppError)[AppError.code],
        everywhere={"422": problem_examples(ValidationFailed)},
        with_token={"401": problem_examples(Unauthorized, InvalidAccessToken, RevokedAccessToken)},
    )
    apidocs_responses.restore_null_examples(schema)
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
