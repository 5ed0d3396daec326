"""Late reports (order 146 art. 18): an accident reported after the parties left the scene
is recorded, and the police decide within 3 days whether to take the case. Here: a report
older than the reporting window (setting ``report_max_age_hours``) is filed with
``late: true`` and routed as any other; the holding officer takes it (it then goes on as
usual) or refers it offline (decisions/late_reports.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from accident_online.cases.exceptions import LateReportNotTaken
from accident_online.kit.i18n import CHINESE, _, translate
from accident_online.models.case import Case

# Order 146 art. 18: the police decide within 3 days of the report whether to take it.
DECIDE_WITHIN: Final = timedelta(days=3)

LATE_REPORT = _(
    "This accident is reported after the parties left the scene. It is recorded as a late "
    "report: the traffic police decide within 3 days whether to take the case, and tell "
    "you whether it goes on online or must be handled at a traffic police office."
)
# Shown to the driver as it is, whatever the app asked for: Chinese first, then English.
LATE_REPORT_ADVICE: Final = f"{translate(LATE_REPORT, CHINESE)} {LATE_REPORT}"


def decide_by(reported_at: datetime) -> datetime:
    """When the police must have decided whether to take a late report."""
    return reported_at + DECIDE_WITHIN


def require_taken(case: Case) -> None:
    """A late report is decided only once an officer took it."""
    if case.late and case.late_taken_at is None:
        raise LateReportNotTaken()
