"""POST /v1/cases/{id}/responses: each party's choice of how compensation is settled
(disputes.stage). Its own router so that its tag stays the parties' ("reports")."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from accident_online.auth.dependencies import AppPartnerPrincipal
from accident_online.cases.dependencies import CaseForFilingApp, EvidenceLinksDep
from accident_online.cases.exceptions import CaseNotFound, InvalidTransition
from accident_online.cases.schemas import CaseRead
from accident_online.cases.service import read_case
from accident_online.claims.rules import rules_from
from accident_online.decisions.exceptions import (
    AlreadyAnswered,
    KnockForKnockConsentClosed,
    NotAwaitingAnswers,
)
from accident_online.decisions.schemas import ResponseCreate
from accident_online.disputes import stage
from accident_online.kit.db import SessionDep
from accident_online.kit.problems import (
    Forbidden,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from accident_online.settings import Settings

router = APIRouter(prefix="/cases/{case_id}")


@router.post(
    "/responses",
    operation_id="answerDecision",
    summary="赔偿方式 · How a party wants compensation settled",
    response_model=CaseRead,
    tags=["reports"],
    responses=problem_responses(
        Unauthorized,
        Forbidden,
        CaseNotFound,
        AlreadyAnswered,
        KnockForKnockConsentClosed,
        NotAwaitingAnswers,
        InvalidTransition,
        ValidationFailed,
    ),
)
async def answer_decision(
    body: ResponseCreate,
    case: CaseForFilingApp,
    session: SessionDep,
    principal: AppPartnerPrincipal,
    request: Request,
    response: Response,
    links: EvidenceLinksDep,
) -> CaseRead:
    """责任认定生效（`final`，或协议已确认）后，各方选择赔偿方式：全部 `insurer_claim` →
    `accepted`（保险公司理赔，定损齐全时立即发出 `claim.requested`）；任一方选择调解、仲裁或
    诉讼 → `disputed`，随即 `in_mediation`、`in_arbitration` 或 `in_litigation`。仲裁须各方
    仲裁协议均已登记（否则 422 `arbitration-agreement-missing`），且此后不得选择诉讼（422
    `arbitration-excludes-court`）。选择 `insurer_claim` 时可同时 `knock_for_knock_consent:
    true` 同意互碰自赔：各方均同意且符合条件时，理算按互碰自赔（各自的保险公司赔付本车损失）；
    与其他赔偿方式同用 → 422。已选 `insurer_claim` 的一方可再次提交 `insurer_claim` 以给出或撤回
    同意，直至赔偿确定（已向保险公司发出理赔请求后 → 409 `knock-for-knock-consent-closed`）。
    旧字段 `accepts` → 422。

    Once liability is final (or agreed), each party says how compensation is settled. All
    `insurer_claim` → `accepted` (insurers settle; `claim.requested` goes out at once when
    every loss is assessed); mediation, arbitration or litigation → `disputed`, then
    `in_mediation`, `in_arbitration` or `in_litigation`. Arbitration needs every party's
    arbitration agreement recorded (else 422 `arbitration-agreement-missing`) and then
    excludes the court (422 `arbitration-excludes-court`). With `insurer_claim` a party may
    agree to 互碰自赔 (`knock_for_knock_consent: true`): when every party agreed and it
    qualifies, the settlement is `knock_for_knock`, each insurer paying its own insured's
    loss; with another resolution → 422 naming the field. A party that chose
    `insurer_claim` gives or withdraws that consent by sending `insurer_claim` again with the
    other value, until the compensation is settled (once the insurers were asked to pay →
    409 `knock-for-knock-consent-closed`); any other second answer → 409
    `already-answered`. The old `accepts` field → 422
    naming `resolution`. Before liability is final → 409 `not-awaiting-answers`."""
    settings: Settings = request.app.state.settings
    await stage.answer_decision(session, principal, case, body, rules=rules_from(settings))
    response.headers["ETag"] = f'"{case.version}"'
    return await read_case(session, case, principal, links=links)
