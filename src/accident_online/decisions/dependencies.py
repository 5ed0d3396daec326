from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from accident_online.cases.dependencies import CaseForOfficer, IfMatch, require_version
from accident_online.decisions.exceptions import AlreadyDecided
from accident_online.models.case import Case, CaseStatus


async def case_to_decide(case: CaseForOfficer, if_match: IfMatch = None) -> Case:
    """A case at the version the officer read that has no decision yet.

    "Already decided" comes before the version check: a decision re-sent (after a timeout,
    say) finds the version moved by its own first try, and 412 would send the officer to
    reload and decide again.
    """
    if case.decision is not None and case.status != CaseStatus.under_review:
        raise AlreadyDecided()
    require_version(case, if_match)
    return case


CaseToDecide = Annotated[Case, Depends(case_to_decide)]
