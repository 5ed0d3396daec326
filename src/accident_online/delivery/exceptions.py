from accident_online.kit.i18n import _
from accident_online.kit.problems import NotFound


class DeliveryNotFound(NotFound):
    code = "delivery-not-found"
    title = _("Delivery not found")
    default_detail = _("No delivery with that id is visible to you.")
