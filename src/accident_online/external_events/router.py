from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request

from accident_online.cases.exceptions import CaseNotFound, InvalidTransition
from accident_online.claims.exceptions import (
    ClaimNotCovered,
    ClaimNotRequested,
    ClaimOverpaid,
    ClaimsBeingPaid,
)
from accident_online.claims.rules import rules_from
from accident_online.disputes.exceptions import (
    AppraisalNotFound,
    AppraisalNotPending,
    AppraisedLoss,
    NoAgreementToConfirm,
    NoPrefilingMediation,
    PrefilingMediationRunning,
)
from accident_online.external_events import service
from accident_online.external_events.exceptions import (
    AmountOutOfRange,
    EventDoesNotFitCase,
    EventTypeNotForPartner,
    InvalidWebhookSignature,
    PartyNotInCase,
)
from accident_online.external_events.schemas import (
    EXAMPLE,
    INBOUND_EVENT_REF,
    InboundEventResult,
)
from accident_online.external_events.service import MAX_WEBHOOK_ID_LENGTH
from accident_online.kit.db import SessionDep
from accident_online.kit.problems import PayloadTooLarge, ValidationFailed, problem_responses
from accident_online.kit.time import utc_now
from accident_online.settings import Settings

router = APIRouter(prefix="/webhooks", tags=["partner events"])


@router.post(
    "/{partner_id}",
    operation_id="receivePartnerEvent",
    summary="Receive a signed event from a partner system",
    response_model=InboundEventResult,
    response_model_exclude_none=True,
    responses=problem_responses(
        InvalidWebhookSignature,
        CaseNotFound,
        EventDoesNotFitCase,
        InvalidTransition,
        PayloadTooLarge,
        ValidationFailed,
        EventTypeNotForPartner,
        PartyNotInCase,
        ClaimNotCovered,
        AmountOutOfRange,
        ClaimNotRequested,
        ClaimOverpaid,
        ClaimsBeingPaid,
        AppraisalNotFound,
        AppraisalNotPending,
        AppraisedLoss,
        NoAgreementToConfirm,
        NoPrefilingMediation,
        PrefilingMediationRunning,
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            # The route reads the raw body itself (the signature covers the exact bytes),
            # so FastAPI cannot derive its schema from a body parameter.
            "content": {
                "application/json": {
                    "schema": {"$ref": INBOUND_EVENT_REF},
                    "example": EXAMPLE,
                }
            },
        }
    },
)
async def receive_partner_event(
    partner_id: Annotated[str, Path(description="Your partner id (= your client_id).")],
    request: Request,
    session: SessionDep,
    # The three headers are declared for the documentation only: the signature check
    # reads them itself, so that a missing one is a 401 like any bad signature, not a 422.
    webhook_id: Annotated[
        str | None,
        Header(
            alias="webhook-id",
            description="Unique per event; the dedupe key. At most 128 characters (else 422).",
            json_schema_extra={"maxLength": MAX_WEBHOOK_ID_LENGTH},
        ),
    ] = None,
    webhook_timestamp: Annotated[
        str | None, Header(alias="webhook-timestamp", description="Unix seconds.")
    ] = None,
    webhook_signature: Annotated[
        str | None,
        Header(
            alias="webhook-signature", description="`v1,<base64 HMAC-SHA256>`, space-separated."
        ),
    ] = None,
) -> InboundEventResult:
    """Standard Webhooks, signed with your `whsec_` webhook secret (during a rotation the
    previous secret is accepted too): no bearer token. A missing or wrong signature, or a
    `webhook-timestamp` more than 5 minutes off → 401 `invalid-signature`.

    Body: `{"type", "timestamp", "data": {"case_id", ...}}`. Types, by partner:

    - insurer `claim.opened` (`party`?, `claim_number`?): timeline only. The case must be
      decided, accepted, disputed, in_mediation or in_litigation, as for:
    - insurer `claim.assessed` (`party`, `assessed_loss`): sets the assessed loss of a
      party **you insure**, which the settlement uses; a later assessment replaces it.
    - insurer `claim.paid` (`party`, `amount`): pays the claims you were sent
      (`claim.requested`) for that party (oldest due, then smallest, first), at most
      what is still open; once every claim line of the case is paid, the case is
      `closed`. While `accepted` or `awaiting_payment`.
    - mediation `mediation.agreed` (`agreement`?, `amounts`?): `in_mediation` →
      `awaiting_payment`; each `{party, payer_party, amount}` becomes a claim to
      `payer_party`'s insurer (without `amounts`: the calculation's lines).
    - mediation `mediation.failed` (`reason`?): `in_mediation` → `in_litigation`; the
      court is notified.
    - court `prefiling_mediation.started` / `.failed` (诉前调解), then `lawsuit.filed`
      (`docket_number`?; 409 while pre-filing mediation runs); `prefiling_mediation.agreed`
      (`amounts`) and `judgment.issued` (`amounts`?): `in_litigation` → `awaiting_payment`.
      `confirmation.granted` / `confirmation.refused` answer `case.confirmation_requested`
      (refused: unpaid claims withdrawn, → `in_litigation`); `judgment.appealed`,
      `enforcement.requested`: recorded.
    - arbitration `arbitration.accepted`, `arbitration.awarded` (`amounts`) →
      `awaiting_payment`, `arbitration.rejected` → `in_litigation`.
    - appraisal `appraisal.accepted`, `appraisal.completed` (`appraisal_id`, `party`,
      `assessed_loss`, `report_number`, `report_url`?): replaces that vehicle's loss in the
      settlement; `appraisal.declined` (`reason`?).

    Amounts are decimal strings in yuan (`"2100.00"`), at most
    `ACCIDENT_ONLINE_PARTNER_EVENT_MAX_AMOUNT`. Every event goes into the case's timeline
    with actor `partner:<your id>`.

    Answers: 200 `{"status": "applied", "case_version"}`; 200 `{"status": "duplicate"}`
    for a `webhook-id` already applied (nothing changes: retry freely). 404 for a case
    that does not concern you; 409 when the event does not fit the case's status (nothing
    is recorded: send it again once it does); 403 `claim-not-covered` for a loss or a
    payment that is not yours (above); 422 for an invalid body, a type your kind of
    partner does not send, a party the case does not have, or an amount out of range.
    """
    # The exact bytes that were signed; kit.limits.BodyLimitMiddleware bounds their size
    # (413) before anybody is authenticated.
    body = await request.body()
    partner, message_id = await service.authenticate_partner(
        session, partner_id, body=body, headers=request.headers, now=utc_now()
    )
    event = service.parse_event(body)
    settings: Settings = request.app.state.settings
    return await service.apply_partner_event(
        session,
        partner,
        webhook_id=message_id,
        event=event,
        max_amount=settings.partner_event_max_amount,
        rules=rules_from(settings),
    )
