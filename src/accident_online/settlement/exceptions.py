from accident_online.kit.problems import Conflict, ValidationFailed


class InvalidSettlement(ValidationFailed):
    code = "invalid-settlement-input"
    title = "Cannot calculate this settlement"


class NoDecisionYet(Conflict):
    code = "no-decision-yet"
    title = "No decision yet"
    default_detail = "Liability has not been decided for this case yet."
