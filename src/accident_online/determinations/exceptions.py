"""What can go wrong with a confirmation, a correction, a delivery or a review request."""

from accident_online.kit.i18n import _
from accident_online.kit.problems import Conflict, ValidationFailed


class NotBeforeDecision(Conflict):
    code = "already-decided"
    title = _("The case is decided")
    default_detail = _(
        "Liability has been decided: the report can no longer be confirmed or corrected; "
        "a party that disagrees applies for review."
    )


class AlreadyConfirmed(Conflict):
    code = "already-confirmed"
    title = _("This party has confirmed")
    default_detail = _("This party has already confirmed the report.")


class NotDelivered(Conflict):
    code = "no-decision-to-deliver"
    title = _("No document to deliver")
    default_detail = _("The case has no decision or agreement whose delivery could be recorded.")


class AlreadyReceived(Conflict):
    code = "already-received"
    title = _("This party has received the document")
    default_detail = _("The delivery to this party has already been recorded.")


class ReviewAlreadyRequested(Conflict):
    code = "review-already-requested"
    title = _("Review already requested")
    default_detail = _("A review may be requested once per accident; it was requested already.")


class NothingToReview(Conflict):
    code = "nothing-to-review"
    title = _("Nothing to review")
    default_detail = _(
        "The parties agreed on liability and the officer confirmed their agreement: "
        "there is no determination to review."
    )


class NotUnderDetermination(Conflict):
    code = "not-reviewable"
    title = _("No determination to review")
    default_detail = _("The case has no delivered determination that could be reviewed now.")


class ReviewWindowClosed(ValidationFailed):
    code = "review-window-closed"
    title = _("The review window has closed")
    default_detail = _(
        "A review must be requested within the time limit after the document was delivered."
    )
