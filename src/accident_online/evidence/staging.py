"""One upload's file on its way into the evidence store, and back out if its row is not
committed (evidence/service.py tells the steps of an upload).

A JPEG is checked while it arrives (arriving.py), in a thread of its own, its structure
followed marker by marker (jpeg_structure.py), so that by the time the body is in, its
check is done; other types, and JPEGs beyond ``ARRIVING_CHECKS`` at once, are checked
(other types decoded) once they are whole, while they are placed.

Blocking I/O and decoding run in worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import BinaryIO

import anyio
import anyio.to_thread

from accident_online.evidence import repository as evidence_repository
from accident_online.evidence.arriving import ArrivingFile
from accident_online.evidence.images import ImageInfo, inspect_image
from accident_online.evidence.sniffing import JPEG
from accident_online.evidence.storage import IN_FLIGHT, BlobWriter, EvidenceStore, StoredBlob
from accident_online.kit.db import Database

logger = logging.getLogger(__name__)

# Bytes gathered before they are written: 8 uploads at once hold 4 MiB.
WRITE_BATCH = 512 * 1024
# JPEG checks running while their bytes arrive, each in a thread mostly waiting for them
# (a slow phone holds one for as long as it sends); more uploads are checked once whole.
ARRIVING_CHECKS = 16
_CHECKERS = ThreadPoolExecutor(ARRIVING_CHECKS, thread_name_prefix="evidence-check")
# Batches are written (and hashed) here while the next one is received.
_WRITERS = ThreadPoolExecutor(8, thread_name_prefix="evidence-write")
_checks_lock = threading.Lock()
_checks_running = 0


def _take_check_slot() -> bool:
    global _checks_running
    with _checks_lock:
        if _checks_running >= ARRIVING_CHECKS:
            return False
        _checks_running += 1
        return True


def _give_check_slot() -> None:
    global _checks_running
    with _checks_lock:
        _checks_running -= 1


def _check_arriving(source: ArrivingFile, *, max_pixels: int) -> ImageInfo:
    try:
        return inspect_image(source, JPEG, max_pixels=max_pixels, arriving=True)
    finally:
        source.close()
        _give_check_slot()


class StagedUpload:
    """The file of one upload on its way into the store (blocking I/O in worker threads)."""

    def __init__(self, store: EvidenceStore, *, max_pixels: int) -> None:
        self.store = store
        self.max_pixels = max_pixels
        self.placed: StoredBlob | None = None
        self._writer: BlobWriter | None = None
        self._holds_blob = False
        self._pending = bytearray()
        self._content_type: str | None = None
        self._arriving: ArrivingFile | None = None
        self._check: asyncio.Future[ImageInfo] | None = None
        self._writing: asyncio.Future[None] | None = None
        self._received = 0

    @property
    def size(self) -> int:
        return self._received

    @property
    def sha256(self) -> str:
        if self._writer is None:
            raise RuntimeError("nothing received")
        return self._writer.sha256

    async def write(self, data: bytes) -> None:
        """Takes the next bytes of the file: gathered into ``WRITE_BATCH``es, each written
        and hashed in one trip to a worker thread (a trip per network chunk of 64 KiB
        cost more than the writing)."""
        if self._writer is None:
            await self._begin()  # the temporary file exists from the first byte on
        self._pending += data
        self._received += len(data)
        if len(self._pending) >= WRITE_BATCH:
            await self.flush()

    async def _begin(self) -> BlobWriter:
        writer = self._writer = await anyio.to_thread.run_sync(self.store.begin)
        if self._content_type == JPEG and _take_check_slot():
            self._start_check(writer)
        return writer

    def expect(self, content_type: str | None) -> None:
        """The type the first bytes showed: a JPEG is checked from its first batch on."""
        self._content_type = content_type

    async def flush(self) -> None:
        """Starts writing out the bytes gathered so far, once the previous batch is written:
        the next batch is received meanwhile (one batch written while one gathers)."""
        writer = self._writer or await self._begin()
        if self._pending:
            data, self._pending = bytes(self._pending), bytearray()
            await self._written()
            self._writing = asyncio.get_running_loop().run_in_executor(
                _WRITERS, self._append, writer, data
            )

    async def _written(self) -> None:
        """Waits for the batch being written, if any (its failure is raised here)."""
        if self._writing is not None:
            writing = self._writing
            try:
                await asyncio.shield(writing)
            finally:
                if writing.done():
                    self._writing = None

    def _append(self, writer: BlobWriter, data: bytes) -> None:
        writer.write(data)
        if self._arriving is not None:
            writer.flush()  # to the OS, where the check reads it
            self._arriving.grew()

    def _start_check(self, writer: BlobWriter) -> None:
        try:
            self._arriving = ArrivingFile(writer.path)
        except BaseException:
            _give_check_slot()
            raise
        check = asyncio.get_running_loop().run_in_executor(
            _CHECKERS, partial(_check_arriving, self._arriving, max_pixels=self.max_pixels)
        )
        # Its failure is read in settle(); one of an upload that failed first, never.
        check.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._check = check

    async def received(self) -> None:
        """The whole file is in: the last bytes written, the check told so."""
        await self.flush()
        await self._written()
        if self._arriving is not None:
            self._arriving.complete()

    async def place(self) -> StoredBlob:
        if self._writer is None:
            raise RuntimeError("nothing received")
        # Held until this upload's transaction is over: the sweep must not take a placed
        # file whose row is not committed yet.
        IN_FLIGHT.hold_blob(self._writer.sha256)
        self._holds_blob = True
        self.placed = await anyio.to_thread.run_sync(self.store.place, self._writer)
        return self.placed

    async def settle(self, content_type: str) -> None:
        """Places the received file and checks it at the same time, in two worker threads:
        it must be a whole ``content_type`` image, or the upload fails with the check's
        problem once the placement is over too (and ``abandon`` takes the file back).

        The placement is shielded from cancellation, so that whatever happens to the
        request, ``placed`` says what is in the store for ``abandon`` to take back.
        """
        writer = self._writer
        if writer is None:
            raise RuntimeError("nothing received")
        check = self._check if content_type == JPEG else None
        # Opened before the placement starts: the handle outlives the temporary name.
        source = None if check is not None else await anyio.to_thread.run_sync(writer.open_copy)
        failures: list[Exception] = []

        async def place() -> None:
            with anyio.CancelScope(shield=True):
                try:
                    await self.place()
                except Exception as error:
                    failures.append(error)

        async def inspect() -> None:
            try:
                if check is not None:
                    await check
                elif source is not None:
                    await anyio.to_thread.run_sync(
                        _inspect_and_close, source, content_type, self.max_pixels
                    )
            except Exception as error:
                failures.insert(0, error)  # a refused image is the answer to give

        async with anyio.create_task_group() as group:
            group.start_soon(place)
            group.start_soon(inspect)
        if failures:
            raise failures[0]

    async def discard(self) -> None:
        """Removes the temporary file, if the upload never reached its place."""
        if self._arriving is not None:
            self._arriving.abandon()  # nothing, once it was complete
        if self._writing is not None:
            with contextlib.suppress(Exception):
                await self._written()  # before the file it writes to goes
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


def _inspect_and_close(source: BinaryIO, content_type: str, max_pixels: int) -> ImageInfo:
    try:
        return inspect_image(source, content_type, max_pixels=max_pixels)
    finally:
        source.close()
