"""A file read while it is still being written: the decoder checks a JPEG upload as its
bytes arrive, instead of after the whole body is in, and an object store's PUT sends a
declared upload on as it arrives (staging.py).

The writer (StagedUpload) appends to the temporary file and calls ``grew`` after each
batch, ``complete`` at the end, ``abandon`` if the upload fails; a read past what is
written waits for one of those. Only the reading thread blocks; the event loop never does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from io import BufferedReader
from pathlib import Path
from typing import TypeVar

_Read = TypeVar("_Read", bytes, int)

# A reader re-checks at least this often, whatever it is told.
_WAIT_SECONDS = 1.0


class UploadAbandoned(Exception):
    """The upload failed before its file was complete: the check has nothing to say."""


class ArrivingFile:
    """Read, seek and tell over a file that is still growing, for Pillow's decoders."""

    def __init__(self, path: Path) -> None:
        self._file: BufferedReader = path.open("rb")
        self._changed = threading.Condition()
        self._complete = False
        self._abandoned = False

    # The writer's side.
    def grew(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def complete(self) -> None:
        with self._changed:
            self._complete = True
            self._changed.notify_all()

    def abandon(self) -> None:
        """The upload failed: a reader waiting for more raises; none once it was complete."""
        with self._changed:
            if not self._complete:
                self._abandoned = True
                self._changed.notify_all()

    # The reader's side.
    def read(self, size: int = -1) -> bytes:
        parts: list[bytes] = []
        wanted = size
        while wanted != 0:
            data = self._arrived(partial(self._file.read, wanted))
            if not data:
                break
            parts.append(data)
            if wanted > 0:
                wanted -= len(data)
        return b"".join(parts)

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Fills ``buffer`` with the next bytes, waiting for them; short only at the end."""
        view = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(view):
            count = self._arrived(partial(self._file.readinto, view[filled:]))
            if not count:
                break
            filled += count
        return filled

    def _arrived(self, attempt: Callable[[], _Read]) -> _Read:
        """Reads with ``attempt`` until it gets bytes or the file is complete: what it got
        (empty, or 0, at the end)."""
        while True:
            if self._abandoned:
                raise UploadAbandoned()
            with self._changed:
                complete = self._complete  # read before the bytes: then none can be missed
            got = attempt()
            if got or complete:
                return got
            with self._changed:
                if not self._complete and not self._abandoned:
                    self._changed.wait(_WAIT_SECONDS)

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 2:  # the end is known once the file is
            self._wait_complete()
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()

    def _wait_complete(self) -> None:
        with self._changed:
            while not self._complete:
                if self._abandoned:
                    raise UploadAbandoned()
                self._changed.wait(_WAIT_SECONDS)
