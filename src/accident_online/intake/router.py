from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from accident_online.auth.dependencies import AppPartnerPrincipal, app_partner
from accident_online.cases.schemas import CaseRead
from accident_online.intake import service
from accident_online.intake.exceptions import NotEligible
from accident_online.intake.schemas import EligibilityRead, ReportCreate
from accident_online.kit.db import ReadSessionDep, SessionDep
from accident_online.kit.idempotency import (
    REQUIRED_KEY_PARAMETER,
    IdempotencyKeyInProgress,
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    KeyedRequest,
    answer_response,
    is_answered,
    required_key,
)
from accident_online.kit.limits import Limits, RateLimited, per_minute
from accident_online.kit.problems import (
    Forbidden,
    PayloadTooLarge,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)

router = APIRouter(tags=["reports"])

ReportKey = Annotated[KeyedRequest, Depends(required_key(client_of=app_partner))]


@router.post(
    "/eligibility",
    operation_id="checkEligibility",
    summary="Check whether an accident may be handled online",
    response_model=EligibilityRead,
    responses=problem_responses(Unauthorized, Forbidden, ValidationFailed, PayloadTooLarge),
)
async def check_eligibility(
    body: ReportCreate, request: Request, session: ReadSessionDep, _: AppPartnerPrincipal
) -> EligibilityRead:
    """Takes the same body as a report and answers `eligible` with every failed rule's
    code in `reasons`. Stores nothing. When not eligible, tell the driver to stay at the
    scene and call 122 (`detail` says so in Chinese and English)."""
    settings = request.app.state.settings
    return await service.check_report(session, body, max_age_hours=settings.report_max_age_hours)


@router.post(
    "/reports",
    operation_id="fileReport",
    summary="File a driver's accident report",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseRead,
    responses={
        201: {
            "headers": {"Location": {"description": "The new case", "schema": {"type": "string"}}}
        },
        **problem_responses(
            IdempotencyKeyMissing,
            IdempotencyKeyInvalid,
            Unauthorized,
            Forbidden,
            IdempotencyKeyInProgress,
            PayloadTooLarge,
            NotEligible,
            IdempotencyKeyReused,
            ValidationFailed,
            RateLimited,
        ),
    },
    openapi_extra={"parameters": [REQUIRED_KEY_PARAMETER]},
)
async def file_report(
    body: ReportCreate,
    request: Request,
    session: SessionDep,
    principal: AppPartnerPrincipal,
    key: ReportKey,
) -> Response:
    """Files the report as a new case, routed to one of the nine centers and waiting for
    its photos (`awaiting_evidence`; `missing` lists them).

    Requires `Idempotency-Key`: a retry with the same key and body replays the first
    answer with `Idempotent-Replayed: true`. An accident that may not be handled online
    is refused with `422 not-eligible`, every failed rule in `reasons`, and nothing is
    stored.
    """
    settings = request.app.state.settings
    limits: Limits = request.app.state.limits
    budget = per_minute(settings.rate_limit_reports_per_minute)
    # Only new cases count: a replay (the same key again) answers from the stored first
    # answer and costs the partner nothing, even when its budget is spent.
    if not await limits.test(budget, "reports", principal.subject) and not await is_answered(
        session, key
    ):
        raise await limits.refusal(budget, "reports", principal.subject)
    answer = await service.file_report(
        session, principal, body, key=key, max_age_hours=settings.report_max_age_hours
    )
    # Reached only for a new case (a replay raised above). Counted now, so concurrent
    # requests cannot overdraw: the one over budget is refused and its case rolled back.
    if not await limits.hit(budget, "reports", principal.subject):
        raise await limits.refusal(budget, "reports", principal.subject)
    return answer_response(answer)
