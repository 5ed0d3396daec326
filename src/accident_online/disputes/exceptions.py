"""What can go wrong with appraisals, arbitration agreements and judicial confirmation."""

from accident_online.kit.i18n import _
from accident_online.kit.problems import Conflict, NotFound, ValidationFailed


class NotAnAppraiser(ValidationFailed):
    code = "not-an-appraiser"
    title = _("Not an appraisal organisation")
    default_detail = _("The appraiser must be a registered appraisal organisation.")


class AppraisalConsentMissing(ValidationFailed):
    code = "appraisal-consent-missing"
    title = _("Consent missing")
    default_detail = _(
        "An appraisal the parties ask for needs every party's application or consent."
    )


class AppraisalNotOpen(Conflict):
    code = "appraisal-not-open"
    title = _("No loss to appraise now")
    default_detail = _(
        "A loss is appraised once liability is accepted or disputed and before the "
        "compensation is settled."
    )


class AppraisalNotFound(NotFound):
    code = "appraisal-not-found"
    title = _("Appraisal not found")
    default_detail = _("The case has no such appraisal sent to you.")


class AppraisalNotPending(Conflict):
    code = "appraisal-not-pending"
    title = _("The appraisal is not pending")
    default_detail = _("The appraisal was completed or declined already.")


class AppraisalNotCompleted(Conflict):
    code = "appraisal-not-completed"
    title = _("The appraisal is not completed")
    default_detail = _("An objection is to a completed appraisal.")


class ObjectionWindowClosed(ValidationFailed):
    code = "objection-window-closed"
    title = _("Objection window closed")
    default_detail = _("The time to object to this appraisal has passed.")


class AlreadyObjected(Conflict):
    code = "already-objected"
    title = _("This party has objected")
    default_detail = _("This party has already objected to this appraisal.")


class AppraisedLoss(Conflict):
    code = "loss-appraised"
    title = _("The loss was appraised")
    default_detail = _(
        "An appraisal fixed this vehicle's loss; an insurer's assessment no longer replaces it."
    )


class ArbitrationAgreementExists(Conflict):
    code = "arbitration-agreement-recorded"
    title = _("Arbitration agreement already recorded")
    default_detail = _("This party's arbitration agreement is recorded already.")


class NotAwaitingResolution(Conflict):
    code = "not-awaiting-resolution"
    title = _("The case is past choosing")
    default_detail = _(
        "Arbitration agreements are recorded while the parties still choose how to resolve "
        "the dispute."
    )


class NoAgreementToConfirm(Conflict):
    code = "no-agreement-to-confirm"
    title = _("No agreement to confirm")
    default_detail = _(
        "Judicial confirmation is for a mediated agreement being paid that was not sent "
        "for confirmation yet."
    )


class PrefilingMediationRunning(Conflict):
    code = "prefiling-mediation-running"
    title = _("Pre-filing mediation is running")
    default_detail = _("The court files the lawsuit once its pre-filing mediation has ended.")


class NoPrefilingMediation(Conflict):
    code = "no-prefiling-mediation"
    title = _("No pre-filing mediation")
    default_detail = _(
        "Pre-filing mediation starts once, before the lawsuit is filed; only a running one "
        "can fail."
    )
