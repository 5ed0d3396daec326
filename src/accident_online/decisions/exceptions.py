from accident_online.kit.i18n import _
from accident_online.kit.problems import AppError, Conflict, Forbidden, ValidationFailed


class AnotherCentersQueue(Forbidden):
    code = "another-centers-queue"
    title = _("Another center's queue")
    default_detail = _("You work at another center; take cases from your own center's queue.")


class CaseHeldByAnotherOfficer(Conflict):
    code = "case-held"
    title = _("Another officer holds this case")
    default_detail = _("Another officer is reviewing this case.")


class NotHoldingCase(Conflict):
    code = "not-holding-case"
    title = _("You do not hold this case")
    default_detail = _("Claim the case first; only the officer holding it may do this.")


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


class InvalidDecision(ValidationFailed):
    code = "invalid-liability"
    title = _("Invalid liability decision")


class AlreadyAnswered(Conflict):
    code = "already-answered"
    title = _("This party has answered")
    default_detail = _("This party has already answered the decision.")


class NotAwaitingAnswers(Conflict):
    code = "not-awaiting-answers"
    title = _("No decision to answer")
    default_detail = _("The case has no decision waiting for the parties' answers.")
