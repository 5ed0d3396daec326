from accident_online.kit.problems import NotFound


class CenterNotFound(NotFound):
    code = "center-not-found"
    title = "Center not found"
    default_detail = "There is no center with that id."
