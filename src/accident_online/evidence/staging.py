"""One upload's file on its way into the evidence store, and back out if its row is not
committed (evidence/service.py tells the steps of an upload).

Blocking I/O and decoding run in worker threads.
"""

from __future__ import annotations

import logging
from functools import partial

import anyio
import anyio.to_thread

from accident_online.evidence import repository as evidence_repository
from accident_online.evidence.images import inspect_image
from accident_online.evidence.storage import IN_FLIGHT, BlobWriter, EvidenceStore, StoredBlob
from accident_online.kit.db import Database

logger = logging.getLogger(__name__)

# Bytes gathered before they are written: 8 uploads at once hold 4 MiB.
WRITE_BATCH = 512 * 1024


class StagedUpload:
    """The file of one upload on its way into the store (blocking I/O in worker threads)."""

    def __init__(self, store: EvidenceStore) -> None:
        self.store = store
        self.placed: StoredBlob | None = None
        self._writer: BlobWriter | None = None
        self._holds_blob = False
        self._pending = bytearray()

    @property
    def size(self) -> int:
        return (self._writer.size if self._writer else 0) + len(self._pending)

    @property
    def sha256(self) -> str:
        if self._writer is None:
            raise RuntimeError("nothing received")
        return self._writer.sha256

    async def write(self, data: bytes) -> None:
        """Takes the next bytes of the file: gathered into ``WRITE_BATCH``es, each written
        and hashed in one trip to a worker thread (a trip per network chunk of 64 KiB
        cost more than the writing)."""
        self._pending += data
        if len(self._pending) >= WRITE_BATCH:
            await self.flush()

    async def flush(self) -> None:
        """Writes out the bytes still gathered (at the end of the file)."""
        if self._writer is None:
            self._writer = await anyio.to_thread.run_sync(self.store.begin)
        if self._pending:
            data, self._pending = bytes(self._pending), bytearray()
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

    async def settle(self, content_type: str, *, max_pixels: int) -> None:
        """Places the received file and decodes it at the same time, in two worker threads:
        it must be a whole ``content_type`` image, or the upload fails with the decoder's
        problem once the placement is over too (and ``abandon`` takes the file back).

        The placement is shielded from cancellation, so that whatever happens to the
        request, ``placed`` says what is in the store for ``abandon`` to take back.
        """
        writer = self._writer
        if writer is None:
            raise RuntimeError("nothing received")
        # Opened before the placement starts: the handle outlives the temporary name.
        source = await anyio.to_thread.run_sync(writer.open_copy)
        failures: list[Exception] = []

        async def place() -> None:
            with anyio.CancelScope(shield=True):
                try:
                    await self.place()
                except Exception as error:
                    failures.append(error)

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(place)
                try:
                    await anyio.to_thread.run_sync(
                        partial(inspect_image, source, content_type, max_pixels=max_pixels)
                    )
                except Exception as error:
                    failures.insert(0, error)  # a refused image is the answer to give
        finally:
            await anyio.to_thread.run_sync(source.close)
        if failures:
            raise failures[0]

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
