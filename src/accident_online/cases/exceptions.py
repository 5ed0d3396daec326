from accident_online.kit.problems import Conflict, NotFound


class CaseNotFound(NotFound):
    code = "case-not-found"
    title = "Case not found"
    default_detail = "No case with that id is visible to you."


class InvalidTransition(Conflict):
    code = "invalid-transition"
    title = "Not possible in this status"
    default_detail = "The case's status does not allow this."
