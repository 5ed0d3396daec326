"""A file read while it is still being written: an object store's PUT sends a declared
upload on as it arrives, instead of after the whole body is in (staging.py).

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

# A reader re-checks at least this often, whatever it is told.
_WAIT_SECONDS = 1.0


class UploadAbandoned(Exception):
    """The upload failed before its file was complete: the PUT has nothing to send."""


class ArrivingFile:
    """``readinto`` over a file that is still growing, for the PUT's body (signed_put.py)."""

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

    def _arrived(self, attempt: Callable[[], int]) -> int:
        """Reads with ``attempt`` until it gets bytes or the file is complete: how many it
        got (0 at the end)."""
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

    def close(self) -> None:
        self._file.close()
