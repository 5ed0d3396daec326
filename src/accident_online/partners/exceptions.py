from accident_online.kit.problems import Conflict, NotFound, ValidationFailed


class PartnerNotFound(NotFound):
    code = "partner-not-found"
    title = "Partner not found"
    default_detail = "There is no partner with that id."


class PartnerExists(Conflict):
    code = "partner-exists"
    title = "Partner exists"
    default_detail = "A partner with this id exists already."


class InsurerCodeTaken(Conflict):
    code = "insurer-code-taken"
    title = "Insurer code taken"
    default_detail = "An insurer code belongs to another insurer partner already."


class UnsafeWebhookUrl(ValidationFailed):
    code = "unsafe-webhook-url"
    title = "Unsafe webhook URL"
    default_detail = (
        "The webhook URL must be http(s), carry no credentials and reach a public address."
    )
