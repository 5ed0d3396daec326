from accident_online.kit.i18n import _
from accident_online.kit.problems import Conflict, NotFound


class NoReviewPending(Conflict):
    code = "no-review-pending"
    title = _("No review pending")
    default_detail = _("The case has no review waiting for a decision.")


class NoSuchRevokedDecision(NotFound):
    code = "revoked-decision-not-found"
    title = _("No such revoked decision")
    default_detail = _("The case has no revoked decision with this number.")
