from accident_online.kit.i18n import _
from accident_online.kit.problems import Conflict


class NoReviewPending(Conflict):
    code = "no-review-pending"
    title = _("No review pending")
    default_detail = _("The case has no review waiting for a decision.")
