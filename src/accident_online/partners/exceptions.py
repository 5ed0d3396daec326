from accident_online.kit.i18n import _
from accident_online.kit.problems import Conflict, NotFound, ValidationFailed


class PartnerNotFound(NotFound):
    code = "partner-not-found"
    title = _("Partner not found")
    default_detail = _("There is no partner with that id.")


class PartnerExists(Conflict):
    code = "partner-exists"
    title = _("Partner exists")
    default_detail = _("A partner with this id exists already.")


class InsurerCodeTaken(Conflict):
    code = "insurer-code-taken"
    title = _("Insurer code taken")
    default_detail = _("An insurer code belongs to another insurer partner already.")


class UnsafeWebhookUrl(ValidationFailed):
    code = "unsafe-webhook-url"
    title = _("Unsafe webhook URL")
    default_detail = _(
        "The webhook URL must be http(s), carry no credentials and reach a public address."
    )
