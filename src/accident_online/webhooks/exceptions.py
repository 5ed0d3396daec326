from accident_online.kit.i18n import _
from accident_online.kit.problems import Conflict, NotFound


class DeliveryNotFound(NotFound):
    code = "delivery-not-found"
    title = _("Delivery not found")
    default_detail = _("No delivery with that id is visible to you.")


class EndpointDisabled(Conflict):
    code = "endpoint-disabled"
    title = _("Webhook endpoint disabled")
    default_detail = _(
        "Your webhook endpoint is disabled (it answered 410 Gone, or an admin paused it). "
        "Only an admin re-enables it; nothing was changed."
    )
