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

The file is read in chunks (it may still be arriving: ``ArrivingFile`` blocks for the rest),
never whole.
"""

from __future__ import annotations

import re
from typing import Protocol

CHUNK = 256 * 1024

# In entropy-coded data, 0xFF is followed by 0x00 (a stuffed 0xFF byte) or RST0-RST7
# (restart markers, part of the scan); anything else starts the next marker.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")

_SOI, _EOI, _SOS, _TEM = 0xD8, 0xD9, 0xDA, 0x01
# Frame headers (SOF0-SOF15 but DHT, JPG and DAC): one per image, before its first scan.
_FRAMES = frozenset({*range(0xC0, 0xD0)} - {0xC4, 0xC8, 0xCC})


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _Reader:
    """A window on the file: what has been read and not yet consumed."""

    def __init__(self, source: Readable, chunk: int) -> None:
        self._source = source
        self._chunk = chunk
        self.data = b""
        self.at = 0
        self.ended = False

    def fill(self) -> bool:
        """Reads the next chunk (keeping what is unconsumed); False at the end of the file."""
        if self.ended:
            return False
        more = self._source.read(self._chunk)
        if not more:
            self.ended = True
            return False
        self.data = self.data[self.at :] + more
        self.at = 0
        return True

    def take(self, count: int) -> bytes | None:
        while len(self.data) - self.at < count:
            if not self.fill():
                return None
        taken = self.data[self.at : self.at + count]
        self.at += count
        return taken

    def skip(self, count: int) -> bool:
        while len(self.data) - self.at < count:
            count -= len(self.data) - self.at
            self.at = len(self.data)
            if not self.fill():
                return False
        self.at += count
        return True

    def next_marker(self) -> int | None:
        """The code of the marker here (after any 0xFF fill bytes); None if none is."""
        first = self.take(1)
        if first != b"\xff":
            return None
        while True:
            code = self.take(1)
            if code is None:
                return None
            if code != b"\xff":
                return code[0]

    def to_next_marker(self) -> bool:
        """Moves through entropy-coded data to the next marker; False if the file ends."""
        while True:
            found = _NEXT_MARKER.search(self.data, self.at)
            if found is not None:
                self.at = found.start()
                return True
            # A 0xFF at the very end may start a marker the next chunk completes.
            self.at = len(self.data) - 1 if self.data.endswith(b"\xff") else len(self.data)
            if not self.fill():
                return False


def runs_to_its_end(source: Readable, *, chunk: int = CHUNK) -> bool:
    """Whether the JPEG read from ``source`` (at its start) is whole: SOI, segments of the
    lengths they state, scans that run on to a marker, one frame header, and EOI."""
    reader = _Reader(source, chunk)
    if reader.take(2) != b"\xff\xd8":
        return False
    frames = scans = 0
    while True:
        code = reader.next_marker()
        if code is None or code == _SOI:
            return False
        if code == _EOI:
            return frames == 1 and scans > 0
        if code == _TEM or 0xD0 <= code <= 0xD7:
            continue  # markers without a length
        stated = reader.take(2)
        length = int.from_bytes(stated, "big") if stated is not None else 0
        if length < 2:
            return False
        if code in _FRAMES:
            frames += 1
            if frames > 1 or scans:
                return False
        if not reader.skip(length - 2):
            return False
        if code == _SOS:
            if not frames:
                return False
            scans += 1
            if not reader.to_next_marker():
                return False
