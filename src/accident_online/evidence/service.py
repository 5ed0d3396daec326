"""Evidence on a case: uploads recorded, photos and contact sheets served.

An upload is read in two steps so that a slow phone never holds the database: first the
body is streamed to a temporary file (evidence/upload.py: hashed, counted, its type
sniffed from the first bytes); only then does the request's transaction lock the case,
record the row and the timeline event, and move the file into place. Whatever fails on
the way, the temporary file goes, and a file placed for a transaction that did not
commit goes too (``StagedUpload.abandon``).
"""

from __future__ import annotations

import logging
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import anyio.to_thread
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository
from accident_online.cases.access import parties_shown_in_full
from accident_online.cases.determination_rules import missing_confirmations
from accident_online.cases.evidence_kinds import (
    IDENTITY_DOCUMENT_KINDS,
    KIND_LABELS,
    EvidenceKind,
    is_withheld,
)
from accident_online.cases.evidence_links import EvidenceLinks
from accident_online.cases.schemas import MissingEvidence
from accident_online.cases.service import (
    actor_of,
    append_event,
    evidence_read,
    load_visible_case,
    missing_for,
    missing_kinds,
)
from accident_online.determinations.confirmations import queue_if_ready
from accident_online.evidence import repository as evidence_repository
from accident_online.evidence.derived import (
    JPEG_COPY,
    RENDER_VERSION,
    THUMBNAIL,
    DerivedStore,
    sheet_key,
)
from accident_online.evidence.exceptions import (
    EvidenceNotAccepted,
    EvidenceNotFound,
    EvidenceWithheld,
)
from accident_online.evidence.images import (
    SheetTile,
    inspect_image,
    write_contact_sheet,
    write_jpeg,
    write_thumbnail,
)
from accident_online.evidence.schemas import EvidenceUploaded
from accident_online.evidence.sniffing import JPEG
from accident_online.evidence.storage import (
    IN_FLIGHT,
    BlobWriter,
    EvidenceStore,
    StoredBlob,
    blob_key,
)
from accident_online.evidence.upload import UploadForm
from accident_online.kit.db import Database
from accident_online.kit.i18n import _
from accident_online.kit.problems import ValidationFailed
from accident_online.models.case import Case, CaseStatus, Evidence
from accident_online.parties.labels import party_label

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

# Photos may be added while the case waits for them or for an officer, and while an
# officer reviews it (users asked to add photos later); after a decision they are closed.
ACCEPTING_EVIDENCE = frozenset(
    {CaseStatus.awaiting_evidence, CaseStatus.queued, CaseStatus.under_review}
)


def ensure_accepts_evidence(case: Case) -> None:
    if case.status not in ACCEPTING_EVIDENCE:
        raise EvidenceNotAccepted(
            _("The case is {status}; it takes no more evidence.", status=case.status)
        )


async def check_case_takes_evidence(
    database: Database, principal: Principal, case_id: uuid.UUID
) -> None:
    """Fails fast, before the client sends megabytes, with a short read of its own.

    The request's write transaction must not start yet: on SQLite it takes the write
    lock, which would be held for as long as the phone takes to upload.
    """
    async with database.session(write=False) as session:
        ensure_accepts_evidence(await load_visible_case(session, principal, case_id))


class StagedUpload:
    """The file of one upload on its way into the store (blocking I/O in worker threads)."""

    def __init__(self, store: EvidenceStore) -> None:
        self.store = store
        self.placed: StoredBlob | None = None
        self._writer: BlobWriter | None = None
        self._holds_blob = False

    @property
    def size(self) -> int:
        return self._writer.size if self._writer else 0

    @property
    def sha256(self) -> str:
        if self._writer is None:
            raise RuntimeError("nothing received")
        return self._writer.sha256

    async def write(self, data: bytes) -> None:
        if self._writer is None:
            self._writer = await anyio.to_thread.run_sync(self.store.begin)
        await anyio.to_thread.run_sync(self._writer.write, data)

    async def place(self) -> StoredBlob:
        if self._writer is None:
            raise RuntimeError("nothing received")
        # Held until this upload's transaction is over: the sweep must not take a placed
        # file whose row is not committed yet.
        IN_FLIGHT.hold_blob(self._writer.sha256)
        self._holds_blob = True
        self.placed = await anyio.to_thread.run_sync(self.store.place, self._writer)
        return self.placed

    async def inspect(self, content_type: str, *, max_pixels: int) -> None:
        """Decodes the received file: it must be a whole ``content_type`` image."""
        writer = self._writer
        if writer is None:
            raise RuntimeError("nothing received")
        await anyio.to_thread.run_sync(writer.flush)
        await anyio.to_thread.run_sync(
            partial(inspect_image, writer.path, content_type, max_pixels=max_pixels)
        )

    async def discard(self) -> None:
        """Removes the temporary file, if the upload never reached its place."""
        if self._writer is not None and self.placed is None:
            await anyio.to_thread.run_sync(self._writer.discard)
        if self._holds_blob and self._writer is not None:
            self._holds_blob = False
            IN_FLIGHT.release_blob(self._writer.sha256)

    async def abandon(self, database: Database) -> None:
        """Undoes the upload after its transaction failed.

        A file this upload placed goes unless some committed row refers to the same bytes.
        If that cannot be checked (the database being down is the likely reason the
        transaction failed), the file stays: an unreferenced file is harmless, a row
        whose bytes were deleted is not.
        """
        await self.discard()
        if self.placed is None or not self.placed.created:
            return
        sha256 = self.placed.sha256
        try:
            async with database.session(write=False) as session:
                referenced = await evidence_repository.has_evidence_with(session, sha256)
        except Exception:
            logger.warning("kept evidence file %s: could not check its references", sha256)
            return
        if not referenced:
            # Unless another upload of the same bytes, still running, claimed the file.
            await anyio.to_thread.run_sync(self.store.remove_unclaimed, self.placed)


async def record_evidence(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    form: UploadForm,
    staged: StagedUpload,
    links: EvidenceLinks,
    *,
    determination_limit: timedelta,
) -> EvidenceUploaded:
    """Adds the received file to the case; queues the case when nothing is missing any more
    (every party's confirmation included: determinations.confirmations).

    The row and the timeline event are flushed before the file is moved into place, so a
    failed insert leaves no file behind.
    """
    case = await load_visible_case(session, principal, case_id, for_update=True)
    ensure_accepts_evidence(case)
    parties = (await repository.parties_of(session, [case.id]))[case.id]
    if form.party is not None and form.party not in {party.index for party in parties}:
        raise ValidationFailed.at(
            ["body", "party"],
            f"This case's parties are 0 to {len(parties) - 1}.",
            type="less_than",
        )
    actor = actor_of(principal)
    evidence = Evidence(
        case_id=case.id,
        kind=form.kind.value,
        party=form.party,
        sha256=staged.sha256,
        content_type=form.content_type,
        size=staged.size,
        filename=form.filename,
    )
    session.add(evidence)
    await append_event(
        session,
        case,
        type="evidence.added",
        actor=actor,
        data={
            "evidence_id": str(evidence.id),
            "kind": evidence.kind,
            "party": evidence.party,
            "sha256": evidence.sha256,
            "size": evidence.size,
            "content_type": evidence.content_type,
        },
    )
    remaining = [
        item
        for item in case.requested_evidence
        if (item.kind, item.party) != (evidence.kind, evidence.party)
    ]
    if len(remaining) != len(case.requested_evidence):
        # A new list: SQLAlchemy does not see changes made inside a JSON value.
        case.requested_evidence = remaining
    await session.flush()
    everything = (await repository.evidence_of(session, [case.id]))[case.id]
    needed = missing_for(case, parties, everything)
    await queue_if_ready(
        session,
        case,
        actor=actor,
        parties=parties,
        needed=needed,
        determination_limit=determination_limit,
    )
    await staged.place()
    full = parties_shown_in_full(principal, case, parties)
    return EvidenceUploaded(
        **evidence_read(case.id, evidence, full=full, links=links).model_dump(),
        missing=missing_kinds(needed),
        missing_evidence=[MissingEvidence(kind=n.kind.value, party=n.party) for n in needed],
        missing_confirmations=missing_confirmations(len(parties), case.confirmations),
        status=CaseStatus(case.status),
        version=case.version,
    )


async def get_evidence(
    session: AsyncSession, case: Case, principal: Principal, evidence_id: uuid.UUID
) -> Evidence:
    """The photo, unless it is not this case's (404) or withheld from this reader (403)."""
    evidence = await evidence_repository.get_evidence(session, case.id, evidence_id)
    if evidence is None:
        raise EvidenceNotFound()
    if evidence.kind in IDENTITY_DOCUMENT_KINDS:
        parties = (await repository.parties_of(session, [case.id]))[case.id]
        if is_withheld(
            evidence.kind, evidence.party, parties_shown_in_full(principal, case, parties)
        ):
            raise EvidenceWithheld()
    return evidence


async def get_linked_evidence(
    session: AsyncSession, case_id: uuid.UUID, evidence_id: uuid.UUID, *, full: bool
) -> Evidence:
    """The photo a verified link points at; ``full`` is the masking decision it carries."""
    evidence = await evidence_repository.get_evidence(session, case_id, evidence_id)
    if evidence is None:
        raise EvidenceNotFound()
    if evidence.kind in IDENTITY_DOCUMENT_KINDS and not full:
        raise EvidenceWithheld()
    return evidence


@dataclass(frozen=True, slots=True)
class PhotoFile:
    key: str  # in the evidence store
    content_type: str
    etag: str


async def photo_file(
    store: EvidenceStore, evidence: Evidence, *, as_jpeg: bool, max_pixels: int
) -> PhotoFile:
    """The stored bytes, or a JPEG copy of them (made on first use, then kept)."""
    original = blob_key(evidence.sha256)
    if not as_jpeg or evidence.content_type == JPEG:
        return PhotoFile(original, evidence.content_type, f'"{evidence.sha256}"')
    derived = DerivedStore(store)

    def make(target: Path) -> None:
        with store.local_copy(original) as source:
            write_jpeg(source, evidence.content_type, target, max_pixels=max_pixels)

    key = await anyio.to_thread.run_sync(
        partial(derived.obtain, derived.of_photo(evidence.sha256, JPEG_COPY), make)
    )
    return PhotoFile(key, JPEG, f'"{evidence.sha256}-jpeg-v{RENDER_VERSION}"')


def photo_label(kind: str, party: int | None) -> str:
    """How the sheet names a photo: 甲方 号牌, or the kind alone for a photo of the scene."""
    label = KIND_LABELS[EvidenceKind(kind)]
    return label if party is None else f"{party_label(party)}方 {label}"


async def contact_sheet(
    session: AsyncSession,
    case: Case,
    principal: Principal,
    *,
    store: EvidenceStore,
    font_path: Path,
    max_pixels: int,
) -> PhotoFile:
    """One JPEG of every photo of the case as this reader may see them, withheld ones as
    a grey tile. Made on first use and kept; a new photo makes a new sheet."""
    parties = (await repository.parties_of(session, [case.id]))[case.id]
    evidence = (await repository.evidence_of(session, [case.id]))[case.id]
    full = parties_shown_in_full(principal, case, parties)
    shown = [
        (None if is_withheld(item.kind, item.party, full) else item, item) for item in evidence
    ]
    labels = [
        f"{position}. {photo_label(item.kind, item.party)}"
        for position, item in enumerate(evidence, start=1)
    ]
    title = f"{case.number} 证据照片（{len(evidence)} 张）"
    key = sheet_key(
        title=title,
        tiles=[
            (visible.sha256 if visible else None, label)
            for (visible, _), label in zip(shown, labels, strict=True)
        ],
    )
    derived = DerivedStore(store)
    target = derived.sheet(key)

    def thumbnail(item: Evidence, stack: ExitStack) -> Path:
        def make(path: Path) -> None:
            with store.local_copy(blob_key(item.sha256)) as source:
                write_thumbnail(source, item.content_type, path, max_pixels=max_pixels)

        made = derived.obtain(derived.of_photo(item.sha256, THUMBNAIL), make)
        return stack.enter_context(store.local_copy(made))

    def make_sheet(path: Path) -> None:
        with ExitStack() as stack:
            tiles = [
                SheetTile(label, thumbnail(visible, stack) if visible else None)
                for (visible, _), label in zip(shown, labels, strict=True)
            ]
            write_contact_sheet(tiles, title=title, font_path=font_path, target=path)

    sources = sorted({visible.sha256 for visible, _ in shown if visible is not None})
    sheet = await anyio.to_thread.run_sync(
        partial(derived.obtain, target, make_sheet, sources=sources)
    )
    return PhotoFile(sheet, JPEG, f'"sheet-{key}"')
