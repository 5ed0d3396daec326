"""What an uploaded photo really is, judged from its first bytes.

The client's declared content type is ignored: users of similar apps saw non-JPEG photos
fail silently (DOMAIN.md "Evidence"), and a declared type proves nothing. We accept the
formats phones produce: JPEG, PNG, HEIC/HEIF (iPhones and many Android phones) and WebP.
"""

from __future__ import annotations

JPEG = "image/jpeg"
PNG = "image/png"
HEIC = "image/heic"
HEIF = "image/heif"
WEBP = "image/webp"

ACCEPTED_TYPES = (JPEG, PNG, HEIC, HEIF, WEBP)

# Enough for every signature below, including an ISO BMFF `ftyp` box with a dozen
# compatible brands (recent iPhones list seven or eight).
SNIFF_LENGTH = 128

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# HEIF images coded with HEVC (ISO/IEC 23008-12 annex B), as phones write them.
_HEVC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"})
# Brands of the HEIF container itself, whatever the codec.
_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
# AVIF files declare mif1 as well, but are AV1, not the HEIF our officers' viewers read.
_AVIF_BRANDS = frozenset({b"avif", b"avis"})


def sniff_image_type(head: bytes) -> str | None:
    """The media type of an accepted image starting with ``head``, or None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(_PNG_SIGNATURE):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return _sniff_heif(head)


def _sniff_heif(head: bytes) -> str | None:
    """HEIC/HEIF by the brands of the `ftyp` box every ISO BMFF file starts with.

    Box layout (ISO/IEC 14496-12 §4.3): 32-bit size, "ftyp", major brand, minor
    version, then compatible brands of four bytes each up to the end of the box.
    """
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    size = int.from_bytes(head[:4], "big")
    if size == 0:  # the box runs to the end of the file
        size = len(head)
    elif size < 16:  # too short to be an ftyp box (1 would be a 64-bit size, never seen here)
        return None
    end = min(size, len(head))
    major = head[8:12]
    brands = {major} | {head[i : i + 4] for i in range(16, end - 3, 4)}
    if major in _AVIF_BRANDS:
        return None
    if brands & _HEVC_BRANDS:
        return HEIC
    if brands & _HEIF_BRANDS:
        return HEIF
    return None
