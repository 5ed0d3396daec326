from __future__ import annotations

from fastapi import APIRouter

from accident_online.auth.dependencies import CurrentPrincipal
from accident_online.cases.dependencies import CaseForReader
from accident_online.cases.exceptions import CaseNotFound
from accident_online.decisions.exceptions import NoDecisionYet
from accident_online.kit.db import SessionDep
from accident_online.kit.problems import Unauthorized, ValidationFailed, problem_responses
from accident_online.settlement import service
from accident_online.settlement.exceptions import InvalidSettlement
from accident_online.settlement.schemas import CaseSettlementRead, SettlementRead, SettlementRequest

router = APIRouter(tags=["settlement"])


@router.post(
    "/settlements/calculate",
    operation_id="calculateSettlement",
    summary="Calculate who pays what (理赔计算)",
    response_model=SettlementRead,
    responses=problem_responses(Unauthorized, InvalidSettlement, ValidationFailed),
)
async def calculate(body: SettlementRequest, _: CurrentPrincipal) -> SettlementRead:
    """Stateless. Compulsory insurance (交强险) pays first from the other vehicles'
    policies (2,000 yuan if that insured is liable, 100 if not); the rest is split by
    liability share and paid by the liable parties' commercial third-party cover, or by
    themselves; 无责代赔 and 互碰自赔 apply where they can. Every line names its rule."""
    return service.calculate(body)


@router.get(
    "/cases/{case_id}/settlement",
    operation_id="getCaseSettlement",
    summary="The case's settlement so far",
    response_model=CaseSettlementRead,
    responses=problem_responses(Unauthorized, CaseNotFound, NoDecisionYet, ValidationFailed),
)
async def case_settlement(case: CaseForReader, session: SessionDep) -> CaseSettlementRead:
    """From the decision and the losses the insurers assessed (`claim.assessed`);
    `complete` is false while a loss is still to be assessed."""
    return await service.case_settlement(session, case)
