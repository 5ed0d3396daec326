"""Content-addressed file storage: every distinct content kept once, named by its SHA-256.

A file is received into a temporary file inside the store, hashed while it is written,
then made durable (fsync) and moved to ``<root>/<sha[:2]>/<sha[2:4]>/<sha>`` in one
atomic rename, so a reader never sees half a file and a crash leaves at most a stray
temporary file, never a wrong one. The same bytes stored twice are kept once.

Blocking file I/O: call these methods from a worker thread in async code.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# Temporary files live inside the store so that the final rename never crosses
# filesystems (os.replace is atomic only within one).
INCOMING_DIR = ".incoming"

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class StoredBlob:
    sha256: str
    size: int
    created: bool  # False when the same bytes were stored already


class BlobWriter:
    """A file being received: written to a temporary file, hashed and counted."""

    def __init__(self, path: Path, handle: BinaryIO) -> None:
        self.path = path
        self.size = 0
        self._handle = handle
        self._hash = hashlib.sha256()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def write(self, data: bytes) -> None:
        self._handle.write(data)
        self._hash.update(data)
        self.size += len(data)

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


class ContentStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        # A strict check, so that no caller can turn a "hash" into a path outside the store.
        if not _SHA256_HEX.fullmatch(sha256):
            raise ValueError("not a lower-case hex SHA-256")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def begin(self) -> BlobWriter:
        incoming = self.root / INCOMING_DIR
        incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=incoming, suffix=".part")
        return BlobWriter(Path(name), os.fdopen(fd, "wb"))

    def place(self, writer: BlobWriter) -> StoredBlob:
        """Moves a finished file to its content address, or drops it if those bytes are here."""
        try:
            writer.finish()
            target = self.path_for(writer.sha256)
            if target.is_file():
                writer.discard()
                return StoredBlob(writer.sha256, writer.size, created=False)
            target.parent.mkdir(parents=True, exist_ok=True)
            # Two writers of the same bytes may both get here; each rename is atomic and
            # both leave the same content behind.
            os.replace(writer.path, target)
            _fsync_directory(target.parent)
        except BaseException:
            writer.discard()
            raise
        return StoredBlob(writer.sha256, writer.size, created=True)

    def remove(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    """Makes a rename inside ``directory`` survive a power cut, not only a process crash."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
