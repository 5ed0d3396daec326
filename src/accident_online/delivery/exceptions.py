from accident_online.kit.problems import NotFound


class DeliveryNotFound(NotFound):
    code = "delivery-not-found"
    title = "Delivery not found"
    default_detail = "No delivery with that id is visible to you."
