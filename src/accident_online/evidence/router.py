from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Request, Response, status
from fastapi.responses import StreamingResponse
from starlette.requests import ClientDisconnect

from accident_online.apidocs.openapi import OFFICERS_TAG
from accident_online.auth.dependencies import AppPartnerPrincipal
from accident_online.auth.exceptions import InvalidAccessToken
from accident_online.cases.dependencies import CaseForReader
from accident_online.cases.exceptions import CaseNotFound
from accident_online.evidence import service
from accident_online.evidence.exceptions import (
    EvidenceNotAccepted,
    EvidenceNotFound,
    EvidenceTooLarge,
    MalformedUpload,
    MultipartRequired,
    UnsupportedEvidenceType,
    UploadInterrupted,
)
from accident_online.evidence.schemas import UPLOAD_FORM, EvidenceUploaded
from accident_online.evidence.service import MULTIPART_OVERHEAD, StagedUpload
from accident_online.evidence.sniffing import ACCEPTED_TYPES
from accident_online.evidence.storage import ContentStore
from accident_online.kit.db import Database, SessionDep
from accident_online.kit.problems import (
    Forbidden,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from accident_online.settings import Settings

router = APIRouter(prefix="/cases/{case_id}/evidence", tags=["evidence"])

CaseId = Annotated[uuid.UUID, Path(description="案件 id · The case's id.")]
_CHUNK = 64 * 1024


async def staged_upload(request: Request) -> AsyncIterator[StagedUpload]:
    """The upload's file, removed again unless its transaction commits.

    Declared before the request's session, so it is left after that session committed
    or rolled back, and sees a failed commit too.
    """
    settings: Settings = request.app.state.settings
    staged = StagedUpload(ContentStore(settings.resolved_storage_dir))
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
    summary="Upload a photo of the accident",
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
) -> EvidenceUploaded:
    """A multipart form with `kind`, `party` (the vehicle's index, for `plate`, `damage`,
    `driving_licence` and `vehicle_licence` only) and `file`, one photo per request.

    The photo's type is recognised from its bytes, whatever the phone declared: JPEG,
    PNG, HEIC/HEIF and WebP are accepted, anything else is refused with `415
    unsupported-evidence-type`; a file over the size limit with `413 evidence-too-large`.
    A refused or interrupted upload stores nothing.

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
        raise EvidenceTooLarge(f"A file may have at most {limit} bytes.", max_upload_bytes=limit)
    await service.check_case_takes_evidence(request.app.state.database, principal, case_id)
    form = await service.receive_upload(
        _body(request), content_type=content_type, staged=staged, max_bytes=limit
    )
    uploaded = await service.record_evidence(session, principal, case_id, form, staged)
    response.headers["Location"] = uploaded.content_url
    return uploaded


async def _body(request: Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect as error:
        raise UploadInterrupted() from error


@router.get(
    "/{evidence_id}/content",
    summary="查看照片 · Download a photo",
    tags=[OFFICERS_TAG],
    response_class=Response,
    responses={
        200: {
            "description": "The photo, in the type recognised when it was uploaded.",
            "content": {media_type: {} for media_type in ACCEPTED_TYPES},
            "headers": {
                "ETag": {"description": "The photo's SHA-256", "schema": {"type": "string"}}
            },
        },
        304: {"description": "Not modified (`If-None-Match` matched the `ETag`)."},
        **problem_responses(
            Unauthorized, InvalidAccessToken, CaseNotFound, EvidenceNotFound, ValidationFailed
        ),
    },
)
async def get_evidence_content(
    case: CaseForReader,
    evidence_id: Annotated[
        uuid.UUID, Path(description="照片 id（见案件的 `evidence`）· The evidence's id.")
    ],
    request: Request,
    session: SessionDep,
) -> Response:
    """照片原图，凡可查看案件者均可取得。照片不会改变：`ETag` 是其 SHA-256，带相同
    `If-None-Match` 的请求回答 `304`。

    The photo's bytes, for everyone who may see the case. Photos never change: `ETag`
    is their SHA-256, and a request with a matching `If-None-Match` is answered
    `304`."""
    evidence = await service.get_evidence(session, case, evidence_id)
    etag = f'"{evidence.sha256}"'
    headers = {
        "ETag": etag,
        "Cache-Control": "private",
        "X-Content-Type-Options": "nosniff",
    }
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    settings: Settings = request.app.state.settings
    path = ContentStore(settings.resolved_storage_dir).path_for(evidence.sha256)
    # A row without its file is our fault: let it fail here, logged, before any byte is sent.
    size = (await anyio.to_thread.run_sync(os.stat, path)).st_size
    return StreamingResponse(
        _file_chunks(path),
        media_type=evidence.content_type,
        headers={**headers, "Content-Length": str(size)},
    )


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


async def _file_chunks(path: os.PathLike[str]) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as handle:
        while chunk := await handle.read(_CHUNK):
            yield chunk
