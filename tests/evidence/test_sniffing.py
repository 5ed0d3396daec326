"""The real type of an upload, from its first bytes."""

from __future__ import annotations

import struct

import pytest

from accident_online.evidence.sniffing import sniff_image_type


def ftyp(major: bytes, *compatible: bytes, size: int | None = None) -> bytes:
    """An ISO BMFF `ftyp` box followed by the start of the next box."""
    body = b"ftyp" + major + b"\x00\x00\x00\x00" + b"".join(compatible)
    box = struct.pack(">I", size if size is not None else len(body) + 4) + body
    return box + b"\x00\x00\x00\x08meta"


CASES = [
    ("jpeg jfif", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
    ("jpeg exif", b"\xff\xd8\xff\xe1\x12\x34Exif\x00\x00", "image/jpeg"),
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    ("webp", b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
    ("iphone heic", ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
    ("heix", ftyp(b"heix", b"mif1"), "image/heic"),
    ("hevc sequence", ftyp(b"msf1", b"hevc"), "image/heic"),
    ("heic in compatible brands only", ftyp(b"mif1", b"miaf", b"heic"), "image/heic"),
    ("heim", ftyp(b"heim"), "image/heic"),
    ("heis", ftyp(b"heis"), "image/heic"),
    ("hevx", ftyp(b"hevx"), "image/heic"),
    ("heif, other codec", ftyp(b"mif1", b"avci"), "image/heif"),
    ("heif sequence", ftyp(b"msf1"), "image/heif"),
    ("box size 0 runs to end", ftyp(b"heic", size=0), "image/heic"),
    ("avif declares mif1 but is not heif", ftyp(b"avif", b"mif1", b"miaf"), None),
    ("mp4 video", ftyp(b"isom", b"iso2", b"mp41"), None),
    ("quicktime", ftyp(b"qt  ", b"qt  "), None),
    # A brand past the box's end belongs to the next box, not to this one.
    ("brand beyond the box", ftyp(b"isom", size=16)[:16] + b"heic", None),
    ("ftyp box too short", ftyp(b"heic", size=12), None),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", None),
    ("text", "车辆照片".encode(), None),
    ("gif", b"GIF89a\x01\x00\x01\x00", None),
    ("riff wave", b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
    ("truncated jpeg", b"\xff\xd8", None),
    ("truncated png", b"\x89PNG\r\n", None),
    ("empty", b"", None),
]


@pytest.mark.parametrize(("head", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sniffs_the_type_from_the_first_bytes(head: bytes, expected: str | None) -> None:
    assert sniff_image_type(head) == expected
