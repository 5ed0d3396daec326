from accident_online.kit.i18n import _
from accident_online.kit.problems import NotFound


class CenterNotFound(NotFound):
    code = "center-not-found"
    title = _("Center not found")
    default_detail = _("There is no center with that id.")
