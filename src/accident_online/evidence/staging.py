"""One upload's file on its way into the evidence store, and back out if its row is not
committed (evidence/service.py tells the steps of an upload).

A JPEG's structure is followed marker by marker while it arrives (jpeg_structure.py), by
the worker thread that writes and hashes each batch, from the same bytes in memory, so
that by the time the body is in its check is done but for its header, which Pillow reads
while the file is placed; other types are decoded once they are whole, while they are
placed. (A thread of its own reading the temporary file back cost three times the scan.)

When the app declared the file's SHA-256 and size before its bytes (upload.py) and the
store can take a file as it arrives (an object store: ``StreamingStore``), the file is
also sent to its content address while it arrives, read back from the temporary file as
it grows (arriving.py), so that the store has it by the time the body is in.
The store checks the bytes against the signed hash, the declared one: a store found to
refuse bytes of another hash (``StreamingStore.checks_signed_hash``) is trusted with that
check and the upload does not hash them too (7.5 ms of CPU per 10 MiB); otherwise the
upload hashes them and checks them against the declaration before letting the PUT end.
A stream the store gave up on (a phone slower than the store waits for, or bytes unlike
their declaration) is not placed as it went: the file is hashed here, held to its
declaration (``422 evidence-digest-mismatch``) and placed once whole, as without one.

Blocking I/O and decoding run in worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from functools import partial
from typing import BinaryIO, TypeVar

import anyio
import anyio.to_thread

from accident_online.evidence import repository as evidence_repository
from accident_online.evidence.arriving import ArrivingFile
from accident_online.evidence.exceptions import DigestMismatch
from accident_online.evidence.images import ImageInfo, inspect_image
from accident_online.evidence.jpeg_structure import JpegStructure
from accident_online.evidence.sniffing import JPEG
from accident_online.evidence.storage import (
    IN_FLIGHT,
    BlobWriter,
    EvidenceStore,
    StoredBlob,
    StreamingStore,
)
from accident_online.evidence.workers import PUT_SLOTS, STREAMERS, WRITERS
from accident_online.kit.db import Database

logger = logging.getLogger(__name__)

_Result = TypeVar("_Result")

# Bytes gathered before they are written; an upload holds two batches at most (one
# gathering, one being written): 8 uploads at once, 4 MiB. Batches of 512 KiB measured
# no faster, and the RSS rose 2 to 4 MiB more (docs/BENCHMARKS.md section 5).
WRITE_BATCH = 256 * 1024


def _put_arriving(
    store: StreamingStore, source: ArrivingFile, *, sha256: str, size: int
) -> StoredBlob:
    try:
        return store.place_arriving(source, sha256=sha256, size=size)
    finally:
        source.close()
        PUT_SLOTS.give()


class StagedUpload:
    """The file of one upload on its way into the store (blocking I/O in worker threads)."""

    def __init__(self, store: EvidenceStore, *, max_pixels: int) -> None:
        self.store = store
        self.max_pixels = max_pixels
        self.placed: StoredBlob | None = None
        self._writer: BlobWriter | None = None
        # The network chunks of the next batch, as they came (not copied together).
        self._pending: list[bytes | memoryview] = []
        self._pending_size = 0
        self._content_type: str | None = None
        # Readers of the temporary file as it grows: the streamed PUT.
        self._readers: list[ArrivingFile] = []
        # A JPEG's structure, followed by the writing thread from the first batch on.
        self._structure: JpegStructure | None = None
        self._flushed = False  # a batch went to be written
        self._streaming: asyncio.Future[StoredBlob] | None = None
        self._writing: asyncio.Future[None] | None = None
        self._received = 0
        self._declared_sha256: str | None = None
        self._declared_size: int | None = None
        self._held_blob: str | None = None

    @property
    def size(self) -> int:
        return self._received

    @property
    def sha256(self) -> str:
        """The file's SHA-256: hashed here, or the declared one the store checked."""
        if self._writer is None:
            raise RuntimeError("nothing received")
        if not self._writer.hashed and self._declared_sha256 is not None:
            return self._declared_sha256
        return self._writer.sha256

    @property
    def hashed_here(self) -> bool:
        """False while the store is trusted to check the bytes against the declaration."""
        return self._writer is not None and self._writer.hashed

    async def write(self, data: bytes | memoryview) -> None:
        """Takes the next bytes of the file: gathered into ``WRITE_BATCH``es, each written
        and hashed in one trip to a worker thread (a trip per network chunk of 64 KiB
        cost more than the writing)."""
        if self._writer is None:
            await self._begin()  # the temporary file exists from the first byte on
        if self._declared_size is not None and self._received + len(data) > self._declared_size:
            raise DigestMismatch.longer(self._declared_size)
        self._pending.append(data)
        self._pending_size += len(data)
        self._received += len(data)
        if self._pending_size >= WRITE_BATCH:
            await self.flush()

    async def _begin(self) -> BlobWriter:
        store = self.store
        sha256, size = self._declared_sha256, self._declared_size
        if (
            sha256 is None
            or size is None
            or not isinstance(store, StreamingStore)
            or not PUT_SLOTS.take()
        ):
            writer = self._writer = await anyio.to_thread.run_sync(store.begin)
            return writer
        try:
            writer = self._writer = await anyio.to_thread.run_sync(_streamed_writer, store)
        except BaseException:
            PUT_SLOTS.give()
            raise
        self._start_streaming(store, writer, sha256=sha256, size=size)
        return writer

    def expect(self, content_type: str | None) -> None:
        """The type the first bytes showed: a JPEG is checked from its first batch on (the
        sniffer decides before a batch is written; if not, it is checked once whole)."""
        self._content_type = content_type
        if content_type == JPEG and not self._flushed:
            self._structure = JpegStructure()

    def declare(self, *, sha256: str | None, size: int | None) -> None:
        """The digest the app sent before the file's first byte (either may be None)."""
        self._declared_sha256 = sha256
        self._declared_size = size

    async def flush(self) -> None:
        """Starts writing out the bytes gathered so far, once the previous batch is written:
        the next batch is received meanwhile (one batch written while one gathers)."""
        writer = self._writer or await self._begin()
        if self._pending:
            data, self._pending, self._pending_size = self._pending, [], 0
            await self._written()
            self._flushed = True
            self._writing = asyncio.get_running_loop().run_in_executor(
                WRITERS, self._append, writer, data, self._structure
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

    def _append(
        self,
        writer: BlobWriter,
        chunks: list[bytes | memoryview],
        structure: JpegStructure | None,
    ) -> None:
        for chunk in chunks:
            writer.write(chunk)
            if structure is not None:
                structure.feed(chunk)
        if self._readers:
            writer.flush()  # to the OS, where the PUT reads it
            for reader in self._readers:
                reader.grew()

    def _start_streaming(
        self, store: StreamingStore, writer: BlobWriter, *, sha256: str, size: int
    ) -> None:
        reader = self._follow(writer)
        # Held from now on: the sweep must not take an object whose row is not committed.
        self._hold(sha256)
        self._streaming = _in_thread(
            STREAMERS, partial(_put_arriving, store, reader, sha256=sha256, size=size)
        )

    def _follow(self, writer: BlobWriter) -> ArrivingFile:
        """A reader of the temporary file as it grows, told of every batch (the PUT's slot
        given back if the file cannot be opened)."""
        try:
            reader = ArrivingFile(writer.path)
        except BaseException:
            PUT_SLOTS.give()
            raise
        self._readers.append(reader)
        return reader

    async def received(self, *, sha256: str | None = None, size: int | None = None) -> None:
        """The whole file is in: the last bytes written, checked against the digest the app
        declared (before or after the file), and the readers told so."""
        await self.flush()
        await self._written()
        writer = self._writer
        assert writer is not None  # flush() began it
        if size is not None and writer.size != size:
            raise DigestMismatch.differs("size", writer.size, size)
        if sha256 is not None and writer.hashed and writer.sha256 != sha256:
            raise DigestMismatch.differs("sha256", writer.sha256, sha256)
        for reader in self._readers:
            reader.complete()

    def _hold(self, sha256: str) -> None:
        if self._held_blob is None:
            IN_FLIGHT.hold_blob(sha256)
            self._held_blob = sha256

    async def place(self) -> StoredBlob:
        writer = self._writer
        if writer is None:
            raise RuntimeError("nothing received")
        # Held until this upload's transaction is over: the sweep must not take a placed
        # file whose row is not committed yet. (A streamed file's hash, checked by now.)
        self._hold(self.sha256)
        if self._streaming is not None:
            streamed = await self._streamed()
            if streamed is not None:
                self.placed = streamed
                await anyio.to_thread.run_sync(writer.discard)
                return streamed
        if not writer.hashed:
            # The store did not take the stream: its check did not happen, so this one does.
            received = await anyio.to_thread.run_sync(writer.hash_file)
            declared = self._declared_sha256
            if declared is not None and received != declared:
                raise DigestMismatch.differs("sha256", received, declared)
        self.placed = await anyio.to_thread.run_sync(self.store.place, writer)
        return self.placed

    async def _streamed(self, *, placing: bool = True) -> StoredBlob | None:
        """What the PUT streamed while the file arrived placed; None if it failed (told
        in the log when the file is then ``placing`` once whole)."""
        streaming = self._streaming
        if streaming is None:
            return None
        try:
            return await asyncio.shield(streaming)
        except Exception as error:
            if placing:
                logger.info(
                    "streaming %s to the store ended early (%s); checked and placed once whole",
                    self._declared_sha256,
                    error,
                )
            return None
        finally:
            if streaming.done():
                self._streaming = None

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
        # The structure followed as the file arrived; None: the check reads the file.
        structure = self._structure if content_type == JPEG else None
        jpeg_whole = structure.whole() if structure is not None else None
        # Opened before the placement starts: the handle outlives the temporary name.
        source = await anyio.to_thread.run_sync(writer.open_copy)
        failures: list[Exception] = []

        async def place() -> None:
            with anyio.CancelScope(shield=True):
                try:
                    await self.place()
                except Exception as error:
                    failures.append(error)

        async def inspect() -> None:
            try:
                await anyio.to_thread.run_sync(
                    partial(
                        _inspect_and_close,
                        source,
                        content_type,
                        max_pixels=self.max_pixels,
                        jpeg_whole=jpeg_whole,
                    )
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
        for reader in self._readers:
            reader.abandon()  # nothing, once it was complete
        if self._writing is not None:
            with contextlib.suppress(Exception):
                await self._written()  # before the file it writes to goes
        if self._writer is not None and self.placed is None:
            await anyio.to_thread.run_sync(self._writer.discard)
            # A PUT that ended before it was stopped placed its file: abandon() takes
            # it back (the store took only bytes of the declared hash).
            self.placed = await self._streamed(placing=False)
        if self._held_blob is not None:
            IN_FLIGHT.release_blob(self._held_blob)
            self._held_blob = None

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


def _in_thread(pool: Executor, work: Callable[[], _Result]) -> asyncio.Future[_Result]:
    """``work`` started in ``pool``. Its failure is read where it is awaited (settle,
    place); one of an upload that failed first, never: so it is marked read here."""
    future = asyncio.get_running_loop().run_in_executor(pool, work)
    future.add_done_callback(lambda done: done.cancelled() or done.exception())
    return future


def _streamed_writer(store: StreamingStore) -> BlobWriter:
    """The temporary file of an upload the store takes as it arrives: not hashed when the
    store checks the bytes against their declared hash itself."""
    writer = store.begin()
    if store.checks_signed_hash():
        writer.skip_hashing()
    return writer


def _inspect_and_close(
    source: BinaryIO, content_type: str, *, max_pixels: int, jpeg_whole: bool | None
) -> ImageInfo:
    try:
        return inspect_image(source, content_type, max_pixels=max_pixels, jpeg_whole=jpeg_whole)
    finally:
        source.close()
