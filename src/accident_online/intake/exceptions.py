from accident_online.kit.i18n import _
from accident_online.kit.problems import ValidationFailed


class NotEligible(ValidationFailed):
    code = "not-eligible"
    title = _("Not eligible for online handling")
    # The refused report's reasons are kept for statistics (intake/repository.py); nothing
    # else was written.
    keep_changes = True
