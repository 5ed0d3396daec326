"""What can go wrong with an officer's work or a party's answer."""

from accident_online.kit.i18n import _
from accident_online.kit.problems import Conflict, Forbidden, ValidationFailed


class AnotherCentersQueue(Forbidden):
    code = "another-centers-queue"
    title = _("Another center's queue")
    default_detail = _("You work at another center; take cases from your own center's queue.")


class CaseHeldByAnotherOfficer(Conflict):
    code = "case-held"
    title = _("Another officer holds this case")
    default_detail = _("Another officer is reviewing this case.")


class NotHoldingCase(Conflict):
    code = "not-holding-case"
    title = _("You do not hold this case")
    default_detail = _("Claim the case first; only the officer holding it may do this.")


class AlreadyDecided(Conflict):
    code = "already-decided"
    title = _("The case is decided")
    default_detail = _(
        "Liability has already been decided for this case; it cannot be decided again."
    )


class InvalidDecision(ValidationFailed):
    code = "invalid-liability"
    title = _("Invalid liability decision")


class AgreedLiabilityUnchangeable(Conflict):
    code = "agreed-liability"
    title = _("The parties agreed on liability")
    default_detail = _(
        "The parties agreed on liability and did not ask for a determination: confirm their "
        "agreement as it is, or refer the case offline."
    )


class AlreadyAnswered(Conflict):
    code = "already-answered"
    title = _("This party has answered")
    default_detail = _("This party has already chosen how compensation is to be settled.")


class KnockForKnockConsentClosed(Conflict):
    code = "knock-for-knock-consent-closed"
    title = _("The compensation is settled")
    default_detail = _(
        "The compensation of this case is settled: consent to 互碰自赔 (knock-for-knock) can "
        "no longer be given or withdrawn."
    )


class NotAwaitingAnswers(Conflict):
    code = "not-awaiting-answers"
    title = _("Liability is not final")
    default_detail = _(
        "Compensation is chosen once liability is final or agreed; this case is not there."
    )


class NoDecisionYet(Conflict):
    code = "no-decision-yet"
    title = _("No decision yet")
    default_detail = _("Liability has not been decided for this case yet.")


class ArbitrationAgreementMissing(ValidationFailed):
    code = "arbitration-agreement-missing"
    title = _("Arbitration agreements missing")
    default_detail = _(
        "Arbitration needs every party's written arbitration agreement recorded first."
    )


class ArbitrationExcludesCourt(ValidationFailed):
    code = "arbitration-excludes-court"
    title = _("The parties agreed to arbitrate")
    default_detail = _(
        "Every party signed an arbitration agreement: the dispute goes to arbitration, "
        "not to court."
    )


class NotALateReport(Conflict):
    code = "not-a-late-report"
    title = _("Not a late report")
    default_detail = _("This case was reported in time; there is nothing to take or refuse.")


class LateReportAlreadyTaken(Conflict):
    code = "late-report-already-taken"
    title = _("Late report already taken")
    default_detail = _("An officer has already taken this late report.")
