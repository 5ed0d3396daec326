"""Whether a JPEG runs whole to its end: its segments and scans, marker by marker.

What proves an uploaded JPEG complete is that every segment is as long as it says and the
entropy-coded data of every scan runs on to a next marker, the last of them the end of
image (EOI). That is what decoding it found, at ten to twenty times the CPU: libjpeg
entropy-decodes every byte even at 1/8 scale (59 ms for a 9.6 MiB photo on this machine,
against 3 ms for this scan), and a file it then refused was one that ended before its EOI;
corrupted entropy-coded bytes decode to wrong pixels without an error (200 of 200 such
files passed Pillow's decode, docs/BENCHMARKS.md §5), as does a file cut short with an EOI
put back. The scan refuses the same files, and a marker where none may be (a second start
of image, a frame header inside the image's scans).

The structure is followed as the bytes come (``JpegStructure.feed``: an upload feeds each
batch it writes, in the same worker thread, staging.py), keeping only the few bytes a
marker or a length may leave cut between two batches; ``runs_to_its_end`` feeds it a file
read in chunks.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Protocol

CHUNK = 256 * 1024

# In entropy-coded data, 0xFF is followed by 0x00 (a stuffed 0xFF byte) or RST0-RST7
# (restart markers, part of the scan); anything else starts the next marker.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")

_SOI, _EOI, _SOS, _TEM = 0xD8, 0xD9, 0xDA, 0x01
# Frame headers (SOF0-SOF15 but DHT, JPG and DAC): one per image, before its first scan.
_FRAMES = frozenset({*range(0xC0, 0xD0)} - {0xC4, 0xC8, 0xCC})

Bytes = bytes | memoryview
# The parser's steps: each ``yield`` asks for the next bytes (empty at the end of the file).
_Steps = Generator[None, Bytes, bool]


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class JpegStructure:
    """A JPEG's structure followed as its bytes are fed, to ``whole()`` at the end.

    Not thread-safe: feed it from one thread at a time (an upload writes one batch at a
    time). Bytes after the end marker (a camera's trailer) change nothing.
    """

    def __init__(self) -> None:
        self._steps = _follow(_Window())
        self._result: bool | None = None
        next(self._steps)  # to its first need for bytes

    @property
    def undecided(self) -> bool:
        """True until the bytes fed so far have settled it (an end marker, or a fault)."""
        return self._result is None

    def feed(self, data: Bytes) -> None:
        if self._result is None and len(data):
            self._send(data)

    def whole(self) -> bool:
        """Whether the bytes fed were a whole JPEG: call once they all were."""
        if self._result is None:
            self._send(b"")
        assert self._result is not None  # the steps end at the end of the file
        return self._result

    def _send(self, data: Bytes) -> None:
        try:
            self._steps.send(data)
        except StopIteration as done:
            self._result = bool(done.value)


class _Window:
    """What has been fed and not yet consumed."""

    def __init__(self) -> None:
        self.data: Bytes = b""
        self.at = 0
        self.ended = False

    def fill(self) -> Generator[None, Bytes, bool]:
        """Waits for the next bytes (keeping what is unconsumed); False at the end."""
        if self.ended:
            return False
        more = yield
        if not len(more):
            self.ended = True
            return False
        left = len(self.data) - self.at
        # Most batches start with nothing left over: kept as they came, not copied.
        self.data = bytes(self.data[self.at :]) + more if left else more
        self.at = 0
        return True

    def take(self, count: int) -> Generator[None, Bytes, bytes | None]:
        while len(self.data) - self.at < count:
            if not (yield from self.fill()):
                return None
        taken = bytes(self.data[self.at : self.at + count])
        self.at += count
        return taken

    def skip(self, count: int) -> Generator[None, Bytes, bool]:
        while len(self.data) - self.at < count:
            count -= len(self.data) - self.at
            self.at = len(self.data)
            if not (yield from self.fill()):
                return False
        self.at += count
        return True

    def next_marker(self) -> Generator[None, Bytes, int | None]:
        """The code of the marker here (after any 0xFF fill bytes); None if none is."""
        first = yield from self.take(1)
        if first != b"\xff":
            return None
        while True:
            code = yield from self.take(1)
            if code is None:
                return None
            if code != b"\xff":
                return code[0]

    def to_next_marker(self) -> Generator[None, Bytes, bool]:
        """Moves through entropy-coded data to the next marker; False if the file ends."""
        while True:
            found = _NEXT_MARKER.search(self.data, self.at)
            if found is not None:
                self.at = found.start()
                return True
            # A 0xFF at the very end may start a marker the next bytes complete.
            end = len(self.data)
            self.at = end - 1 if end and self.data[end - 1] == 0xFF else end
            if not (yield from self.fill()):
                return False


def _follow(window: _Window) -> _Steps:
    """SOI, segments of the lengths they state, scans that run on to a marker, one frame
    header, and EOI: True when all are there, False as soon as one is not."""
    if (yield from window.take(2)) != b"\xff\xd8":
        return False
    frames = scans = 0
    while True:
        code = yield from window.next_marker()
        if code is None or code == _SOI:
            return False
        if code == _EOI:
            return frames == 1 and scans > 0
        if code == _TEM or 0xD0 <= code <= 0xD7:
            continue  # markers without a length
        stated = yield from window.take(2)
        length = int.from_bytes(stated, "big") if stated is not None else 0
        if length < 2:
            return False
        if code in _FRAMES:
            frames += 1
            if frames > 1 or scans:
                return False
        if not (yield from window.skip(length - 2)):
            return False
        if code == _SOS:
            if not frames:
                return False
            scans += 1
            if not (yield from window.to_next_marker()):
                return False


def runs_to_its_end(source: Readable, *, chunk: int = CHUNK) -> bool:
    """Whether the JPEG read from ``source`` (at its start) is whole, read in chunks."""
    structure = JpegStructure()
    while structure.undecided:
        data = source.read(chunk)
        if not data:
            break
        structure.feed(data)
    return structure.whole()
