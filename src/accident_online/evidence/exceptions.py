from accident_online.kit.problems import (
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)


class EvidenceNotFound(NotFound):
    code = "evidence-not-found"
    title = "Evidence not found"
    default_detail = "This case has no evidence with that id."


class EvidenceNotAccepted(Conflict):
    code = "evidence-closed"
    title = "Case no longer takes evidence"
    default_detail = (
        "Evidence is accepted only while the case is awaiting evidence, queued or under review."
    )


class EvidenceTooLarge(PayloadTooLarge):
    code = "evidence-too-large"
    title = "File too large"
    default_detail = "The file is larger than allowed."


class UnsupportedEvidenceType(UnsupportedMediaType):
    code = "unsupported-evidence-type"
    title = "Not an accepted image type"
    default_detail = "Upload a photo as JPEG, PNG, HEIC/HEIF or WebP."


class MultipartRequired(UnsupportedMediaType):
    code = "multipart-required"
    title = "Multipart form required"
    default_detail = "Send the upload as multipart/form-data with the fields kind, party, file."


class MalformedUpload(BadRequest):
    code = "malformed-upload"
    title = "Malformed upload"
    default_detail = "The multipart body could not be read."


class UploadInterrupted(BadRequest):
    code = "upload-interrupted"
    title = "Upload interrupted"
    default_detail = "The client went away before the upload was complete; nothing was stored."
