from accident_online.kit.problems import Conflict, ValidationFailed


class CaseHeldByAnotherOfficer(Conflict):
    code = "case-held"
    title = "Another officer holds this case"
    default_detail = "Another officer is reviewing this case."


class NotHoldingCase(Conflict):
    code = "not-holding-case"
    title = "You do not hold this case"
    default_detail = "Claim the case first; only the officer holding it may do this."


class AlreadyDecided(Conflict):
    code = "already-decided"
    title = "The case is decided"
    default_detail = "Liability has already been decided for this case; it cannot be decided again."


class InvalidDecision(ValidationFailed):
    code = "invalid-liability"
    title = "Invalid liability decision"


class AlreadyAnswered(Conflict):
    code = "already-answered"
    title = "This party has answered"
    default_detail = "This party has already answered the decision."


class NotAwaitingAnswers(Conflict):
    code = "not-awaiting-answers"
    title = "No decision to answer"
    default_detail = "The case has no decision waiting for the parties' answers."
