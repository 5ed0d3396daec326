from __future__ import annotations

from fastapi import APIRouter, Response

from accident_online.apidocs.openapi import OFFICERS_TAG
from accident_online.auth.dependencies import OfficerPrincipal
from accident_online.cases.dependencies import CaseAtVersion, EvidenceLinksDep
from accident_online.cases.schemas import CaseRead
from accident_online.cases.service import read_case
from accident_online.decisions.exceptions import LateReportAlreadyTaken, NotALateReport
from accident_online.decisions.late_reports import decide_late_report
from accident_online.decisions.router import CHANGED_CASE, OFFICER_ERRORS
from accident_online.decisions.schemas import LateReportDecisionCreate
from accident_online.kit.db import SessionDep
from accident_online.kit.problems import problem_responses

router = APIRouter(prefix="/cases/{case_id}")


@router.post(
    "/late-report",
    operation_id="decideLateReport",
    tags=[OFFICERS_TAG],
    summary="受理或不予受理逾期报案 · Take a late report, or refer it offline",
    response_model=CaseRead,
    responses={
        **CHANGED_CASE,
        **problem_responses(*OFFICER_ERRORS, NotALateReport, LateReportAlreadyTaken),
    },
)
async def decide_on_late_report(
    body: LateReportDecisionCreate,
    case: CaseAtVersion,
    session: SessionDep,
    principal: OfficerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
) -> CaseRead:
    """当事人撤离现场后报案的（`late: true`，《道路交通事故处理程序规定》第十八条），公安机关在
    三日内决定是否受理：`take: true` 受理，案件照常办理；`take: false` 写明原因，转线下处理
    （`referred_offline`）。先领取案件；需要 `If-Match`。

    A report made after the parties left the scene (`late: true`, order 146 art. 18): the
    police decide within 3 days whether to take it. `take: true` takes the case, which then
    goes on as usual (only then can liability be decided); `take: false`, with a `reason`,
    refers it offline. Claim the case first; needs `If-Match`."""
    await decide_late_report(session, principal, case, body)
    response.headers["ETag"] = f'"{case.version}"'
    return await read_case(session, case, principal, links=links)
