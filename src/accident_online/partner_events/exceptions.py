from accident_online.kit.problems import AppError, Conflict, Forbidden, ValidationFailed


class InvalidWebhookSignature(AppError):
    # Not the Unauthorized of bearer tokens: no WWW-Authenticate, the signature is the auth.
    status_code = 401
    code = "invalid-signature"
    title = "Invalid webhook signature"
    default_detail = (
        "The webhook-id, webhook-timestamp and webhook-signature headers do not verify with "
        "this partner's webhook secret, or the timestamp is more than 5 minutes off."
    )


class EventTypeNotForPartner(ValidationFailed):
    code = "event-type-not-accepted"
    title = "Event type not accepted from this partner"
    default_detail = "Partners of this kind do not send events of this type."


class PartyNotInCase(ValidationFailed):
    code = "party-not-found"
    title = "No such party in the case"
    default_detail = "The case has no party with that index."


class EventDoesNotFitCase(Conflict):
    code = "event-not-applicable"
    title = "Event does not fit the case's status"
    default_detail = "The case's status does not allow this event; nothing was changed."


class ClaimNotCovered(Forbidden):
    code = "claim-not-covered"
    title = "Not this insurer's claim"
    default_detail = (
        "An insurer assesses only its own insured's loss and pays only what the "
        "settlement has it pay; nothing was changed."
    )


class AmountOutOfRange(ValidationFailed):
    code = "amount-out-of-range"
    title = "Amount out of range"
    default_detail = "The amount is larger than this service accepts; nothing was changed."
