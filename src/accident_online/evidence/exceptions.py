"""What can go wrong with an upload or a photo."""

from __future__ import annotations

from typing import Literal

from accident_online.kit.i18n import _
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
    title = _("Unprocessable content")
    default_detail = _("The content could not be processed.")


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


class EvidenceWithheld(Forbidden):
    code = "evidence-withheld"
    title = _("Photo withheld")
    default_detail = _(
        "This photo shows a party's identity document, whose personal data you see masked."
    )


class NotAnImage(UnsupportedEvidenceType):
    code = "not-an-image"
    title = _("Not a readable image")
    default_detail = _("The file starts like an image but is not one that can be read.")


class TruncatedImage(UnprocessableContent):
    code = "image-truncated"
    title = _("Image truncated or damaged")
    default_detail = _("The image is cut short or damaged; upload the photo again.")


class DigestMismatch(UnprocessableContent):
    code = "evidence-digest-mismatch"
    title = _("Photo differs from its declared digest")
    default_detail = _(
        "The file's bytes do not match the sha256 or size sent with it; nothing was stored."
    )

    @classmethod
    def _of(cls, field: str, detail: str) -> DigestMismatch:
        return cls.at(["body", field], detail, type="digest_mismatch", detail=detail)

    @classmethod
    def longer(cls, declared: int) -> DigestMismatch:
        return cls._of(
            "size",
            _(
                "The file is longer than the {declared} bytes its size field says.",
                declared=declared,
            ),
        )

    @classmethod
    def differs(
        cls, field: Literal["size", "sha256"], received: object, declared: object
    ) -> DigestMismatch:
        """The file's ``field`` (``size`` or ``sha256``) is ``received``, not ``declared``."""
        if field == "size":
            detail = _(
                "The file has {received} bytes; its size field says {declared}.",
                received=received,
                declared=declared,
            )
        else:
            detail = _(
                "The file's SHA-256 is {received}; its sha256 field says {declared}.",
                received=received,
                declared=declared,
            )
        return cls._of(field, detail)


class TooManyPixels(UnprocessableContent):
    code = "image-too-many-pixels"
    title = _("Image too large in pixels")
    default_detail = _("The image has more pixels than allowed.")


class SheetFontMissing(ServiceUnavailable):
    code = "sheet-font-missing"
    title = _("Contact sheet font missing")
    default_detail = _("The CJK font for contact sheet labels is not installed on the server.")
