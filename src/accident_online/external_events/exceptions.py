from accident_online.kit.i18n import _
from accident_online.kit.problems import AppError, Conflict, ValidationFailed


class InvalidWebhookSignature(AppError):
    # Not the Unauthorized of bearer tokens: no WWW-Authenticate, the signature is the auth.
    status_code = 401
    code = "invalid-signature"
    title = _("Invalid webhook signature")
    default_detail = _(
        "The webhook-id, webhook-timestamp and webhook-signature headers do not verify with "
        "this partner's webhook secret, or the timestamp is more than 5 minutes off."
    )


class EventTypeNotForPartner(ValidationFailed):
    code = "event-type-not-accepted"
    title = _("Event type not accepted from this partner")
    default_detail = _("Partners of this kind do not send events of this type.")


class PartyNotInCase(ValidationFailed):
    code = "party-not-found"
    title = _("No such party in the case")
    default_detail = _("The case has no party with that index.")


class EventDoesNotFitCase(Conflict):
    code = "event-not-applicable"
    title = _("Event does not fit the case's status")
    default_detail = _("The case's status does not allow this event; nothing was changed.")


class AmountOutOfRange(ValidationFailed):
    code = "amount-out-of-range"
    title = _("Amount out of range")
    default_detail = _("The amount is larger than this service accepts; nothing was changed.")
