from accident_online.kit.i18n import _
from accident_online.kit.problems import Conflict, ValidationFailed


class InvalidSettlement(ValidationFailed):
    code = "invalid-settlement-input"
    title = _("Cannot calculate this settlement")


class NoDecisionYet(Conflict):
    code = "no-decision-yet"
    title = _("No decision yet")
    default_detail = _("Liability has not been decided for this case yet.")
