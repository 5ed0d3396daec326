from accident_online.kit.problems import Conflict, NotFound


class DeliveryNotFound(NotFound):
    code = "delivery-not-found"
    title = "Delivery not found"
    default_detail = "No delivery with that id is visible to you."


class EndpointDisabled(Conflict):
    code = "endpoint-disabled"
    title = "Webhook endpoint disabled"
    default_detail = (
        "Your webhook endpoint is disabled (it answered 410 Gone, or an admin paused it). "
        "Only an admin re-enables it; nothing was changed."
    )
