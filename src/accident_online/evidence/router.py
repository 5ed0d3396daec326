from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import RedirectResponse, StreamingResponse
from starlette.concurrency import iterate_in_threadpool
from starlette.requests import ClientDisconnect

from accident_online.apidocs.openapi import OFFICERS_TAG
from accident_online.auth.dependencies import AppPartnerPrincipal, CurrentPrincipal
from accident_online.auth.exceptions import InvalidAccessToken
from accident_online.cases.dependencies import CaseForReader, EvidenceLinksDep
from accident_online.cases.determination_rules import limits_from
from accident_online.cases.exceptions import CaseNotFound, LinkExpired, LinkInvalid
from accident_online.evidence import service
from accident_online.evidence.exceptions import (
    DigestMismatch,
    EvidenceNotAccepted,
    EvidenceNotFound,
    EvidenceTooLarge,
    EvidenceWithheld,
    MalformedUpload,
    MultipartRequired,
    NotAnImage,
    SheetFontMissing,
    TooManyPixels,
    TruncatedImage,
    UnsupportedEvidenceType,
    UploadInterrupted,
)
from accident_online.evidence.images import BROWSER_TYPES
from accident_online.evidence.schemas import UPLOAD_FORM, EvidenceUploaded
from accident_online.evidence.sniffing import ACCEPTED_TYPES, JPEG
from accident_online.evidence.staging import StagedUpload
from accident_online.evidence.storage import EvidenceStore, open_store
from accident_online.evidence.upload import MULTIPART_OVERHEAD, receive_upload
from accident_online.kit.db import Database, SessionDep
from accident_online.kit.headers import weighted_values
from accident_online.kit.i18n import _
from accident_online.kit.problems import (
    Forbidden,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from accident_online.settings import Settings

router = APIRouter(prefix="/cases/{case_id}/evidence", tags=["evidence"])

CaseId = Annotated[uuid.UUID, Path(description="案件 id · The case's id.")]
EvidenceId = Annotated[
    uuid.UUID, Path(description="照片 id（见案件的 `evidence`）· The evidence's id.")
]


async def staged_upload(request: Request) -> AsyncIterator[StagedUpload]:
    """The upload's file, removed again unless its transaction commits.

    Declared before the request's session, so it is left after that session committed
    or rolled back, and sees a failed commit too.
    """
    settings: Settings = request.app.state.settings
    staged = StagedUpload(evidence_store(request), max_pixels=settings.evidence_max_pixels)
    try:
        yield staged
    except BaseException:
        database: Database = request.app.state.database
        with anyio.CancelScope(shield=True):
            await staged.abandon(database)
        raise
    finally:
        with anyio.CancelScope(shield=True):
            await staged.discard()


StagedUploadDep = Annotated[StagedUpload, Depends(staged_upload, scope="function")]


@router.post(
    "",
    operation_id="uploadEvidence",
    summary="上传事故照片 · Upload a photo of the accident",
    status_code=status.HTTP_201_CREATED,
    response_model=EvidenceUploaded,
    responses={
        201: {
            "headers": {
                "Location": {"description": "The photo's content", "schema": {"type": "string"}}
            }
        },
        **problem_responses(
            MalformedUpload,
            UploadInterrupted,
            Unauthorized,
            Forbidden,
            CaseNotFound,
            EvidenceNotAccepted,
            EvidenceTooLarge,
            MultipartRequired,
            UnsupportedEvidenceType,
            NotAnImage,
            TruncatedImage,
            TooManyPixels,
            DigestMismatch,
            ValidationFailed,
        ),
    },
    openapi_extra=UPLOAD_FORM,
)
async def upload_evidence(
    case_id: CaseId,
    request: Request,
    staged: StagedUploadDep,
    session: SessionDep,
    principal: AppPartnerPrincipal,
    response: Response,
    links: EvidenceLinksDep,
) -> EvidenceUploaded:
    """A multipart form with `kind`, `party` (the vehicle's index, for `plate`, `damage`,
    `driving_licence` and `vehicle_licence` only) and `file`, one photo per request;
    optionally the photo's `sha256` and `size` as the phone computed them, checked against
    the bytes received (`422 evidence-digest-mismatch` if they differ). Send them before
    `file`: the photo then goes to storage while it arrives.

    The photo's type is recognised from its bytes, whatever the phone declared: JPEG,
    PNG, HEIC/HEIF and WebP are accepted, anything else is refused with `415
    unsupported-evidence-type`; a file over the size limit with `413 evidence-too-large`.
    The photo is then decoded: one that only starts like an image is refused with `415
    not-an-image`, a truncated one with `422 image-truncated`, one of more pixels than
    allowed with `422 image-too-many-pixels`. A refused or interrupted upload stores
    nothing.

    The answer says what the case still needs (`missing`, and by party in
    `missing_evidence`). With the last required photo the case joins its center's queue
    (`status` becomes `queued`). Photos may still be added while an officer reviews it.
    """
    # Idempotency-Key is not needed: the same bytes are stored once, so a retried upload
    # costs only a second row pointing at them.
    settings: Settings = request.app.state.settings
    limit = settings.max_upload_bytes
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise MultipartRequired()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise EvidenceTooLarge(
            _("A file may have at most {limit} bytes.", limit=limit), max_upload_bytes=limit
        )
    await service.check_case_takes_evidence(request.app.state.database, principal, case_id)
    form = await receive_upload(
        _body(request), content_type=content_type, staged=staged, max_bytes=limit
    )
    await staged.settle(form.content_type)
    uploaded = await service.record_evidence(
        session,
        principal,
        case_id,
        form,
        staged,
        links,
        determination_limit=limits_from(settings).determination,
    )
    response.headers["Location"] = uploaded.content_url
    return uploaded


async def _body(request: Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect as error:
        raise UploadInterrupted() from error


_PHOTO_HEADERS = {
    "ETag": {"description": "The photo's SHA-256", "schema": {"type": "string"}},
}
_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/sheet",
    operation_id="getContactSheet",
    summary="证据照片联系表 · Contact sheet",
    tags=[OFFICERS_TAG],
    response_class=Response,
    responses={
        200: {
            "description": "Every photo of the case on one JPEG, each labelled with its kind "
            "and party (甲/乙/…).",
            "content": {JPEG: _BINARY},
            "headers": {"ETag": {"description": "The sheet's hash", "schema": {"type": "string"}}},
        },
        304: {"description": "Not modified (`If-None-Match` matched the `ETag`)."},
        **problem_responses(
            Unauthorized, InvalidAccessToken, CaseNotFound, SheetFontMissing, ValidationFailed
        ),
    },
)
async def get_contact_sheet(
    case: CaseForReader, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """本案全部照片一览：按上传顺序排列，每张标明所示内容（侧前方全景、号牌……）和所属
    当事人（甲方、乙方……）。证件照片若其个人信息对您隐去，则显示为灰色方块。联系表生成一次
    后即保存；新增照片会生成新的联系表。

    All the case's photos at a glance, in upload order, each labelled with what it
    shows (侧前方全景, 号牌, …) and whose it is (甲方, 乙方, …), for whoever may see the
    case. A photo of an identity document of a party whose personal data you see
    masked is a grey tile. Made once and kept: a new photo makes a new sheet."""
    settings: Settings = request.app.state.settings
    sheet = await service.contact_sheet(
        session,
        case,
        principal,
        store=evidence_store(request),
        font_path=settings.evidence_sheet_font,
        max_pixels=settings.evidence_max_pixels,
    )
    return await _send(request, evidence_store(request), sheet)


@router.get(
    "/{evidence_id}/content",
    operation_id="getEvidenceContent",
    summary="查看照片 · Download a photo",
    tags=[OFFICERS_TAG],
    response_class=Response,
    responses={
        200: {
            "description": "The photo, in the type recognised when it was uploaded; with "
            "`Accept: image/jpeg`, a JPEG whatever that type.",
            "content": dict.fromkeys(ACCEPTED_TYPES, _BINARY),
            "headers": _PHOTO_HEADERS,
        },
        304: {"description": "Not modified (`If-None-Match` matched the `ETag`)."},
        **problem_responses(
            Unauthorized,
            InvalidAccessToken,
            EvidenceWithheld,
            CaseNotFound,
            EvidenceNotFound,
            ValidationFailed,
        ),
    },
)
async def get_evidence_content(
    case: CaseForReader,
    evidence_id: EvidenceId,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> Response:
    """照片原图，凡可查看案件者均可取得。照片不会改变：`ETag` 是其 SHA-256，带相同
    `If-None-Match` 的请求回答 `304`。

    The photo's bytes, for everyone who may see the case. Photos never change: `ETag`
    is their SHA-256, and a request with a matching `If-None-Match` is answered
    `304`. Send `Accept: image/jpeg` for a JPEG whatever the stored type (HEIC from
    iPhones, PNG, WebP). A photo of an identity document is `403 evidence-withheld` to
    whoever sees that party's personal data masked."""
    evidence = await service.get_evidence(session, case, principal, evidence_id)
    settings: Settings = request.app.state.settings
    store = evidence_store(request)
    photo = await service.photo_file(
        store,
        evidence,
        as_jpeg=prefers_jpeg(request.headers.get("accept"), evidence.content_type),
        max_pixels=settings.evidence_max_pixels,
    )
    return await _send(request, store, photo, vary_accept=True)


@router.get(
    "/{evidence_id}/view",
    operation_id="viewEvidenceLink",
    summary="打开照片链接 · Open a photo link (no token)",
    response_class=Response,
    responses={
        200: {
            "description": "The photo as a browser shows it (HEIC/HEIF as JPEG).",
            "content": dict.fromkeys(sorted(BROWSER_TYPES), _BINARY),
        },
        **problem_responses(
            LinkInvalid, LinkExpired, EvidenceWithheld, EvidenceNotFound, ValidationFailed
        ),
    },
)
async def view_evidence(
    case_id: CaseId,
    evidence_id: EvidenceId,
    request: Request,
    session: SessionDep,
    links: EvidenceLinksDep,
    exp: Annotated[str | None, Query(description="Expiry (Unix time), from `view_url`.")] = None,
    m: Annotated[str | None, Query(description="Masking decision, from `view_url`.")] = None,
    sig: Annotated[str | None, Query(description="Signature, from `view_url`.")] = None,
) -> Response:
    """Opens the `view_url` of a photo, as listed in the case: no Authorization, the link
    is its own proof. It expires after a few minutes (`403 link-expired`: read the case
    again for a fresh one); a changed link is `403 link-invalid`."""
    full = links.verify(case_id, evidence_id, exp=exp, m=m, sig=sig)
    evidence = await service.get_linked_evidence(session, case_id, evidence_id, full=full)
    settings: Settings = request.app.state.settings
    store = evidence_store(request)
    photo = await service.photo_file(
        store,
        evidence,
        as_jpeg=evidence.content_type not in BROWSER_TYPES,
        max_pixels=settings.evidence_max_pixels,
    )
    if settings.evidence_redirect_to_store:
        # The reader fetches the bytes from the store itself, on a link that expires soon.
        url = await anyio.to_thread.run_sync(
            partial(
                store.presigned_url,
                photo.key,
                content_type=photo.content_type,
                seconds=settings.evidence_presigned_seconds,
            )
        )
        if url is not None:
            return RedirectResponse(
                url,
                status_code=status.HTTP_307_TEMPORARY_REDIRECT,
                headers={"Cache-Control": "private, no-store"},
            )
    return await _send(request, store, photo)


def prefers_jpeg(accept: str | None, stored_type: str) -> bool:
    """Whether ``Accept`` names image/jpeg and ranks it above the stored type.

    Only an explicit ``image/jpeg`` counts: a browser's ``*/*`` gets the original bytes,
    as before.
    """
    if not accept or stored_type == JPEG:
        return False
    weights: dict[str, float] = {}
    for media_type, weight in weighted_values(accept):
        weights[media_type.lower()] = max(weights.get(media_type.lower(), 0.0), weight)
    jpeg = weights.get(JPEG, 0.0)
    return jpeg > 0 and jpeg > weights.get(stored_type, 0.0)


def evidence_store(request: Request) -> EvidenceStore:
    """The store the settings choose, one per application (its client keeps connections)."""
    store: EvidenceStore | None = getattr(request.app.state, "evidence_store", None)
    if store is None:
        store = open_store(request.app.state.settings)
        request.app.state.evidence_store = store
    return store


async def _send(
    request: Request,
    store: EvidenceStore,
    photo: service.PhotoFile,
    *,
    vary_accept: bool = False,
) -> Response:
    headers = {
        "ETag": photo.etag,
        "Cache-Control": "private",
        "X-Content-Type-Options": "nosniff",
    }
    if vary_accept:
        headers["Vary"] = "Accept"
    if _matches(request.headers.get("if-none-match"), photo.etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    # A row without its file is our fault: let it fail here, logged, before any byte is sent.
    size = await anyio.to_thread.run_sync(store.size, photo.key)
    return StreamingResponse(
        iterate_in_threadpool(store.chunks(photo.key)),
        media_type=photo.content_type,
        headers={**headers, "Content-Length": str(size)},
    )


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags
