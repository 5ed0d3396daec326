"""Content-addressed file storage: every distinct content kept once, named by its SHA-256.

A file is received into a temporary file inside the store, hashed while it is written,
then made durable (fsync) and linked to ``<root>/<sha[:2]>/<sha[2:4]>/<sha>`` in one
atomic step, so a reader never sees half a file and a crash leaves at most a stray
temporary file, never a wrong one. The same bytes stored twice are kept once.

An upload whose transaction fails takes back a file it created (``remove_unclaimed``),
unless another upload has meanwhile claimed the same bytes: reusing a file bumps its
modification time, and the removal checks it after moving the file aside atomically,
so the file a concurrent upload relies on is never deleted under it.

Two stores keep the same content addresses behind one interface (``EvidenceStore``):
``ContentStore`` on the local disk, and ``ObjectStorage`` in an S3-compatible bucket
(objects.py), chosen by the ``evidence_store`` setting (``open_store``). Both receive an
upload into a local temporary file first, hashed as it arrives: the hash is the address,
known only at the end, and a file on disk, not memory, is what the decoder reads while it
arrives and the object store's one PUT then streams from (evidence/staging.py). When the
app declares the hash up front, an object store (``StreamingStore``) takes the file at
its address while it arrives, from the same temporary file as it grows.
Derived files (derived.py) are stored under keys of the same store.

Blocking I/O: call these methods from a worker thread in async code.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, runtime_checkable

if TYPE_CHECKING:
    from accident_online.settings import Settings

# Temporary files live inside the store so that the final rename never crosses
# filesystems (links and renames work only within one).
INCOMING_DIR = ".incoming"
PART_SUFFIX = ".part"
REMOVING_SUFFIX = ".removing"
CHUNK = 64 * 1024

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class InFlight:
    """The files this process's uploads hold right now: their temporary files, and the
    content a placed upload relies on until its transaction has ended. The sweep
    (sweep.py) never takes these, however old they look."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: set[Path] = set()
        self._blobs: Counter[str] = Counter()

    def hold_path(self, path: Path) -> None:
        with self._lock:
            self._paths.add(path)

    def release_path(self, path: Path) -> None:
        with self._lock:
            self._paths.discard(path)

    def hold_blob(self, sha256: str) -> None:
        with self._lock:
            self._blobs[sha256] += 1

    def release_blob(self, sha256: str) -> None:
        with self._lock:
            self._blobs[sha256] -= 1
            if self._blobs[sha256] <= 0:
                del self._blobs[sha256]

    def holds_path(self, path: Path) -> bool:
        with self._lock:
            return path in self._paths

    def holds_blob(self, sha256: str) -> bool:
        with self._lock:
            return sha256 in self._blobs


# One per process: every ContentStore of the process reports to it.
IN_FLIGHT = InFlight()


@dataclass(frozen=True, slots=True)
class StoredBlob:
    sha256: str
    size: int
    created: bool  # False when the same bytes were stored already
    # The file's modification time as this placement left it (see remove_unclaimed).
    mtime_ns: int = 0
    # In an object store: the claim marker this placement wrote (objects.py).
    claim: str = ""


class BlobWriter:
    """A file being received: written to a temporary file, hashed and counted."""

    def __init__(self, path: Path, handle: BinaryIO) -> None:
        self.path = path
        self.size = 0
        self._handle = handle
        self._hash: hashlib._Hash | None = hashlib.sha256()
        self._file_sha256: str | None = None  # hash_file's, when written without hashing

    @property
    def hashed(self) -> bool:
        return self._hash is not None or self._file_sha256 is not None

    @property
    def sha256(self) -> str:
        if self._hash is not None:
            return self._hash.hexdigest()
        if self._file_sha256 is None:
            raise RuntimeError("not hashed: hash_file() first")
        return self._file_sha256

    def skip_hashing(self) -> None:
        """Written without hashing (the store checks the bytes against a declared hash,
        staging.py); ``hash_file`` hashes them after all if they are needed."""
        if self.size:
            raise RuntimeError("already writing")
        self._hash = None

    def hash_file(self) -> str:
        """Hashes what was written without hashing, reading it back (blocking)."""
        if not self.hashed:
            self._handle.flush()
            self._file_sha256 = file_sha256(self.path)
        return self.sha256

    def write(self, data: bytes | memoryview) -> None:
        self._handle.write(data)
        if self._hash is not None:
            self._hash.update(data)
        self.size += len(data)

    def flush(self) -> None:
        """Hands the bytes written so far to the OS, so the file can be read back."""
        self._handle.flush()

    def close(self) -> None:
        """Hands the bytes to the OS and closes the file, without waiting for the disk (a
        spool file whose bytes go on to an object store need not outlive a crash)."""
        if not self._handle.closed:
            self._handle.close()

    def open_copy(self) -> BinaryIO:
        """The bytes written so far, opened for reading: the handle stays valid when the
        temporary name goes (linked into place or sent to the object store)."""
        self._handle.flush()
        return self.path.open("rb")

    def finish(self) -> None:
        """Makes the bytes durable before the file is renamed into place."""
        if not self._handle.closed:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()

    def discard(self) -> None:
        """Removes the temporary file; safe to call more than once."""
        self._handle.close()
        self.path.unlink(missing_ok=True)
        IN_FLIGHT.release_path(self.path)


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def blob_key(sha256: str) -> str:
    """Where the content lives in the store: ``<sha[:2]>/<sha[2:4]>/<sha>``."""
    # A strict check, so that no caller can turn a "hash" into a path outside the store.
    if not _SHA256_HEX.fullmatch(sha256):
        raise ValueError("not a lower-case hex SHA-256")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def is_sha256(text: str) -> bool:
    return _SHA256_HEX.fullmatch(text) is not None


class EvidenceStore(Protocol):
    """What the evidence service needs of a store; keys are relative, ``/``-separated."""

    root: Path  # the local folder of temporary files (and, on disk, of the store itself)

    def begin(self) -> BlobWriter: ...
    def place(self, writer: BlobWriter) -> StoredBlob: ...
    def remove_unclaimed(self, blob: StoredBlob) -> bool: ...
    def exists(self, sha256: str) -> bool: ...
    def has(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def chunks(self, key: str) -> Iterator[bytes]: ...
    def put_file(self, key: str, path: Path) -> None: ...
    def put_text(self, key: str, text: str) -> None: ...
    def local_copy(self, key: str) -> AbstractContextManager[Path]: ...
    def temporary_path(self, suffix: str) -> Path: ...
    def presigned_url(self, key: str, *, content_type: str, seconds: int) -> str | None: ...


class Readable(Protocol):
    def readinto(self, buffer: bytearray | memoryview, /) -> int: ...


@runtime_checkable
class StreamingStore(EvidenceStore, Protocol):
    """A store that can take a file while it arrives, given its SHA-256 and size first."""

    def place_arriving(self, source: Readable, *, sha256: str, size: int) -> StoredBlob:
        """Places ``size`` bytes read from ``source`` at the address of ``sha256`` (or
        claims the object there); the store refuses bytes of another hash."""
        ...

    def checks_signed_hash(self) -> bool:
        """Whether that refusal is the store's own (then the bytes need not be hashed
        here as well); blocking the first time."""
        ...


class ContentStore:
    """The store on the local disk, under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / blob_key(sha256)

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def has(self, key: str) -> bool:
        return (self.root / key).is_file()

    def size(self, key: str) -> int:
        # A row without its file is our fault: this fails, logged, before any byte is sent.
        return (self.root / key).stat().st_size

    def chunks(self, key: str) -> Iterator[bytes]:
        with (self.root / key).open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    def put_file(self, key: str, path: Path) -> None:
        """Moves a finished temporary file (``temporary_path``) to ``key``, atomically."""
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)

    def put_text(self, key: str, text: str) -> None:
        temporary = self.temporary_path(".txt")
        temporary.write_text(text)
        self.put_file(key, temporary)

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        yield self.root / key

    def temporary_path(self, suffix: str) -> Path:
        """A fresh name in the store's folder of temporary files (swept when old)."""
        incoming = self.root / INCOMING_DIR
        incoming.mkdir(parents=True, exist_ok=True)
        return incoming / f"{uuid.uuid4().hex}{suffix}"

    def presigned_url(self, key: str, *, content_type: str, seconds: int) -> str | None:
        return None  # the API itself serves files from the local disk

    def begin(self) -> BlobWriter:
        incoming = self.root / INCOMING_DIR
        incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=incoming, suffix=PART_SUFFIX)
        IN_FLIGHT.hold_path(Path(name))
        return BlobWriter(Path(name), os.fdopen(fd, "wb"))

    def place(self, writer: BlobWriter) -> StoredBlob:
        """Moves a finished file to its content address, or drops it if those bytes are here."""
        try:
            writer.finish()
            target = self.path_for(writer.sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            # The inode keeps this time when linked into place (see remove_unclaimed).
            placed = writer.path.stat().st_mtime_ns
            for _ in range(3):
                claimed = _claim(target)
                if claimed is not None:
                    writer.discard()
                    return StoredBlob(writer.sha256, writer.size, created=False, mtime_ns=claimed)
                try:
                    # A hard link, not a rename: it fails rather than replace a file
                    # another upload of the same bytes placed a moment ago, so every
                    # file has exactly one creator.
                    os.link(writer.path, target)
                except FileExistsError:
                    continue  # placed by another upload just now: claim that one
                break
            else:
                raise RuntimeError(f"could not place {writer.sha256}")
            writer.discard()  # the temporary name; the file lives on at its address
            _fsync_directory(target.parent)
        except BaseException:
            writer.discard()
            raise
        return StoredBlob(writer.sha256, writer.size, created=True, mtime_ns=placed)

    def remove(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)

    def remove_unclaimed(self, blob: StoredBlob) -> bool:
        """Removes a file this placement created, unless it was claimed since; True if gone.

        The file is first renamed aside (atomic): a claim made before that shows in its
        modification time, and the file goes back; a claim tried after it finds no file
        and places its own copy.
        """
        target = self.path_for(blob.sha256)
        incoming = self.root / INCOMING_DIR
        incoming.mkdir(parents=True, exist_ok=True)
        aside = incoming / f"{blob.sha256}.{os.getpid()}.{id(blob)}{REMOVING_SUFFIX}"
        try:
            os.rename(target, aside)
        except FileNotFoundError:
            return True
        if aside.stat().st_mtime_ns != blob.mtime_ns:
            os.replace(aside, target)  # claimed meanwhile; the same bytes either way
            return False
        aside.unlink()
        return True


def _claim(target: Path) -> int | None:
    """Marks an existing file as relied on by one more upload (a newer modification time);
    None if there is no such file, or it went while being claimed."""
    try:
        stat = target.stat()
        # At least a second on, so that even a filesystem keeping whole seconds shows it.
        os.utime(target, ns=(stat.st_atime_ns, max(time.time_ns(), stat.st_mtime_ns + 10**9)))
        return target.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def _fsync_directory(directory: Path) -> None:
    """Makes a rename inside ``directory`` survive a power cut, not only a process crash."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_store(settings: Settings) -> EvidenceStore:
    """The store the settings choose: the local disk, or an S3-compatible bucket."""
    if settings.evidence_store == "s3":
        from accident_online.evidence.objects import ObjectStorage

        return ObjectStorage.from_settings(settings)
    return ContentStore(settings.resolved_storage_dir)
