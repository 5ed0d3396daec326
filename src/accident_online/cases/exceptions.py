"""What can go wrong with a case: not found, a move the statuses forbid, a stale version, a bad
photo link."""

from accident_online.kit.i18n import _
from accident_online.kit.problems import AppError, Conflict, Forbidden, NotFound


class CaseNotFound(NotFound):
    code = "case-not-found"
    title = _("Case not found")
    default_detail = _("No case with that id is visible to you.")


class InvalidTransition(Conflict):
    code = "invalid-transition"
    title = _("Not possible in this status")
    default_detail = _("The case's status does not allow this.")


class PreconditionRequired(AppError):
    status_code = 428
    code = "precondition-required"
    title = _("If-Match required")
    default_detail = _("Send If-Match with the case's ETag (its version) to change it.")


class PreconditionFailed(AppError):
    status_code = 412
    code = "version-mismatch"
    title = _("The case has changed")
    default_detail = _("The case has changed since you read it; reload it and try again.")


class LinkInvalid(Forbidden):
    code = "link-invalid"
    title = _("Invalid link")
    default_detail = _("This photo link is not valid; open the case again for a fresh link.")


class LinkExpired(Forbidden):
    code = "link-expired"
    title = _("Link expired")
    default_detail = _("This photo link has expired; open the case again for a fresh link.")


class LateReportNotTaken(Conflict):
    code = "late-report-not-taken"
    title = _("Late report not yet taken")
    default_detail = _(
        "This is a late report (order 146 art. 18): take the case first, or refer it offline."
    )
