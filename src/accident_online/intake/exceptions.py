from accident_online.kit.problems import ValidationFailed


class NotEligible(ValidationFailed):
    code = "not-eligible"
    title = "Not eligible for online handling"
