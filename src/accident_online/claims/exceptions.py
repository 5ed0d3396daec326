"""What can go wrong with claim lines."""

from accident_online.kit.i18n import _
from accident_online.kit.problems import Conflict, Forbidden, NotFound, ValidationFailed


class ClaimNotRequested(Conflict):
    code = "claim-not-requested"
    title = _("No claim requested")
    default_detail = _(
        "No claim of this case is waiting to be paid (yet); nothing was changed. Send it "
        "again after claim.requested."
    )


class ClaimOverpaid(ValidationFailed):
    code = "claim-overpaid"
    title = _("More than the claim")
    default_detail = _("The payment is more than the open claims to this party.")


class ClaimsBeingPaid(Conflict):
    code = "claims-being-paid"
    title = _("Claims are being paid")
    default_detail = _(
        "Insurers have already paid towards the settled compensation; it can no longer "
        "be changed here."
    )


class ClaimNotCovered(Forbidden):
    code = "claim-not-covered"
    title = _("Not this insurer's claim")
    default_detail = _(
        "An insurer assesses only its own insured's loss and pays only the claims it was "
        "sent; nothing was changed."
    )


class ClaimNotFound(NotFound):
    code = "claim-not-found"
    title = _("Claim not found")
    default_detail = _("The case has no such claim line.")


class InsurerReportsItsPayments(Conflict):
    code = "insurer-reports-payments"
    title = _("The insurer reports its own payments")
    default_detail = _(
        "This claim's insurer is connected to the platform and sends claim.paid itself; a "
        "payment is attested here only for an insurer that is not. Nothing was changed."
    )


class PaymentAlreadyRecorded(Conflict):
    code = "payment-already-recorded"
    title = _("Payment already recorded")
    default_detail = _(
        "A payment with this reference was recorded for this claim already (a retry?); "
        "nothing was changed."
    )
