from accident_online.kit.i18n import _
from accident_online.kit.problems import (
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)


class EvidenceNotFound(NotFound):
    code = "evidence-not-found"
    title = _("Evidence not found")
    default_detail = _("This case has no evidence with that id.")


class EvidenceNotAccepted(Conflict):
    code = "evidence-closed"
    title = _("Case no longer takes evidence")
    default_detail = _(
        "Evidence is accepted only while the case is awaiting evidence, queued or under review."
    )


class EvidenceTooLarge(PayloadTooLarge):
    code = "evidence-too-large"
    title = _("File too large")
    default_detail = _("The file is larger than allowed.")


class UnsupportedEvidenceType(UnsupportedMediaType):
    code = "unsupported-evidence-type"
    title = _("Not an accepted image type")
    default_detail = _("Upload a photo as JPEG, PNG, HEIC/HEIF or WebP.")


class MultipartRequired(UnsupportedMediaType):
    code = "multipart-required"
    title = _("Multipart form required")
    default_detail = _("Send the upload as multipart/form-data with the fields kind, party, file.")


class MalformedUpload(BadRequest):
    code = "malformed-upload"
    title = _("Malformed upload")
    default_detail = _("The multipart body could not be read.")


class UploadInterrupted(BadRequest):
    code = "upload-interrupted"
    title = _("Upload interrupted")
    default_detail = _("The client went away before the upload was complete; nothing was stored.")
