from accident_online.kit.i18n import _
from accident_online.kit.problems import Conflict, NotFound


class CaseNotFound(NotFound):
    code = "case-not-found"
    title = _("Case not found")
    default_detail = _("No case with that id is visible to you.")


class InvalidTransition(Conflict):
    code = "invalid-transition"
    title = _("Not possible in this status")
    default_detail = _("The case's status does not allow this.")
