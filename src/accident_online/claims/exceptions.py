"""What can go wrong with claim lines."""

from accident_online.kit.i18n import _
from accident_online.kit.problems import Conflict, ValidationFailed


class ClaimNotRequested(Conflict):
    code = "claim-not-requested"
    title = _("No claim requested")
    default_detail = _(
        "This insurer was asked to pay nothing (more) to this party; nothing was changed."
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
