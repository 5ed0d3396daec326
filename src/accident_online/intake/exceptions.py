from accident_online.kit.i18n import _
from accident_online.kit.problems import ValidationFailed


class NotEligible(ValidationFailed):
    code = "not-eligible"
    title = _("Not eligible for online handling")
