"""Compensation disputes (道交纠纷): appraisal of a disputed loss, arbitration agreements,
judicial confirmation of a mediated agreement, the court's 诉前调解 and judgments; each
settled way ends in claims.service.settle_compensation."""
