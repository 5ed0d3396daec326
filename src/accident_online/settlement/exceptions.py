"""What can go wrong when calculating a settlement."""

from accident_online.kit.i18n import _
from accident_online.kit.problems import ValidationFailed


class InvalidSettlement(ValidationFailed):
    code = "invalid-settlement-input"
    title = _("Cannot calculate this settlement")
