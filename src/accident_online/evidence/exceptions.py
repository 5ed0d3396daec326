from accident_online.kit.problems import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
)


class UnprocessableContent(AppError):
    """422 for content that is what it claims to be but cannot be used."""

    status_code = 422
    code = "unprocessable-content"
    title = "Unprocessable content"
    default_detail = "The content could not be processed."


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


class EvidenceWithheld(Forbidden):
    code = "evidence-withheld"
    title = "Photo withheld"
    default_detail = (
        "This photo shows a party's identity document, whose personal data you see masked."
    )


class NotAnImage(UnsupportedEvidenceType):
    code = "not-an-image"
    title = "Not a readable image"
    default_detail = "The file starts like an image but is not one that can be read."


class TruncatedImage(UnprocessableContent):
    code = "image-truncated"
    title = "Image truncated or damaged"
    default_detail = "The image could not be decoded to its end; upload the photo again."


class TooManyPixels(UnprocessableContent):
    code = "image-too-many-pixels"
    title = "Image too large in pixels"
    default_detail = "The image has more pixels than allowed."


class LinkInvalid(Forbidden):
    code = "link-invalid"
    title = "Invalid link"
    default_detail = "This photo link is not valid; open the case again for a fresh link."


class LinkExpired(Forbidden):
    code = "link-expired"
    title = "Link expired"
    default_detail = "This photo link has expired; open the case again for a fresh link."


class SheetFontMissing(ServiceUnavailable):
    code = "sheet-font-missing"
    title = "Contact sheet font missing"
    default_detail = "The CJK font for contact sheet labels is not installed on the server."
