"""Decoding photos with Pillow (and pillow-heif for HEIC/HEIF): checking an upload really
is the image it starts like, and deriving browser-viewable copies, thumbnails and the
contact sheet.

Everything here is blocking and CPU-bound: call it from a worker thread in async code.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, cast

import pillow_heif
from PIL import Image, ImageDraw, ImageFile, ImageFont, ImageOps, UnidentifiedImageError

from accident_online.evidence.exceptions import (
    NotAnImage,
    SheetFontMissing,
    TooManyPixels,
    TruncatedImage,
)
from accident_online.evidence.jpeg_structure import runs_to_its_end
from accident_online.evidence.sniffing import ACCEPTED_TYPES, HEIC, HEIF, JPEG, PNG, WEBP
from accident_online.kit.i18n import _

pillow_heif.register_heif_opener()
# A truncated file must fail, never be padded with grey (Pillow's default already, but
# this is global state another library could have changed).
ImageFile.LOAD_TRUNCATED_IMAGES = False

# The Pillow plugins allowed to open each sniffed type: a file is opened only as what its
# first bytes said it is.
_PILLOW_FORMATS: dict[str, list[str]] = {
    JPEG: ["JPEG", "MPO"],
    PNG: ["PNG"],
    WEBP: ["WEBP"],
    HEIC: ["HEIF"],
    HEIF: ["HEIF"],
}
# Types every browser shows as they are; the others (HEIC/HEIF) are shown as a JPEG copy.
BROWSER_TYPES = frozenset({JPEG, PNG, WEBP})

JPEG_QUALITY = 88
THUMBNAIL_BOX = (480, 360)

# A decoded 50-megapixel photo takes up to 200 MB: at most this many are decoded at once
# in the process, whatever the number of worker threads (the others wait their turn).
_DECODING = threading.BoundedSemaphore(2)


@contextmanager
def _decoding() -> Iterator[None]:
    with _DECODING:
        yield


@dataclass(frozen=True, slots=True)
class ImageInfo:
    width: int
    height: int


# A file to decode: its path, or a handle.
Source = Path | BinaryIO


def _open(path: Source, content_type: str, *, max_pixels: int) -> Image.Image:
    """Opens the file as ``content_type`` (headers only; no pixels decoded yet)."""
    formats = _PILLOW_FORMATS.get(content_type)
    if formats is None:
        raise NotAnImage(accepted=list(ACCEPTED_TYPES))
    try:
        with warnings.catch_warnings():
            # Pillow warns past its own limit and raises past twice that; ours is checked
            # below, from the header, before any pixel is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(cast("Path | IO[bytes]", path), formats=formats)
    except Image.DecompressionBombError as error:
        raise TooManyPixels(max_pixels=max_pixels) from error
    except UnidentifiedImageError as error:
        raise NotAnImage(
            _("The file is not a readable {content_type} image.", content_type=content_type),
            accepted=list(ACCEPTED_TYPES),
        ) from error
    # A broken header makes the plugins raise almost anything (ValueError, struct.error,
    # pillow-heif's own): all of them mean "not an image we can read", unless the file
    # is shorter than its own header says.
    except Exception as error:
        if _shorter_than_declared(path, content_type):
            raise TruncatedImage() from error
        raise NotAnImage(
            _("The file is not a readable {content_type} image.", content_type=content_type),
            accepted=list(ACCEPTED_TYPES),
        ) from error
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise TooManyPixels(
            _(
                "The image has {width}×{height} pixels; at most {max_pixels} are allowed.",
                width=width,
                height=height,
                max_pixels=max_pixels,
            ),
            max_pixels=max_pixels,
        )
    return image


def _shorter_than_declared(path: Source, content_type: str) -> bool:
    """Whether a WebP file ends before the length its RIFF header declares (Pillow
    decodes WebP as it opens it, so a cut one fails there, not when loaded)."""
    if content_type != WEBP:
        return False
    with _from_start(path) as handle:
        header = handle.read(8)
        size = handle.seek(0, 2)
    return len(header) == 8 and int.from_bytes(header[4:8], "little") + 8 > size


@contextmanager
def _from_start(path: Source) -> Iterator[BinaryIO]:
    """The file to read again from its first byte: opened anew, or rewound."""
    if isinstance(path, Path):
        with path.open("rb") as handle:
            yield handle
    else:
        path.seek(0)
        yield path


def inspect_image(
    path: Source,
    content_type: str,
    *,
    max_pixels: int,
    jpeg_whole: bool | None = None,
) -> ImageInfo:
    """Checks that the file (a path, or one opened for reading) is a complete
    ``content_type`` image of at most ``max_pixels``.

    The header is read first, so a huge image is refused before its pixels are decoded.
    Then a JPEG's structure is followed marker by marker to its end (jpeg_structure.py:
    what decoding it found, a file cut short or damaged between its markers, in a tenth of
    the CPU and a chunk of memory), unless ``jpeg_whole`` already says what following it
    as it arrived found (staging.py); any other image takes a decoding slot and is decoded
    whole, which finds a truncated or damaged file.
    """
    with ExitStack() as stack:
        image = stack.enter_context(_open(path, content_type, max_pixels=max_pixels))
        width, height = image.size
        if image.format in ("JPEG", "MPO"):
            if not (_jpeg_whole(path) if jpeg_whole is None else jpeg_whole):
                raise TruncatedImage()
            return ImageInfo(width=width, height=height)
        stack.enter_context(_decoding())
        try:
            image.load()
        except Exception as error:
            raise TruncatedImage() from error
    return ImageInfo(width=width, height=height)


def _jpeg_whole(path: Source) -> bool:
    with _from_start(path) as handle:
        return runs_to_its_end(handle)


def _viewable(image: Image.Image) -> Image.Image:
    """Upright (EXIF orientation applied) and RGB, alpha flattened onto white."""
    upright = ImageOps.exif_transpose(image)
    if upright.mode in ("RGBA", "LA") or (upright.mode == "P" and "transparency" in upright.info):
        rgba = upright.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return upright.convert("RGB")


def write_jpeg(source: Path, content_type: str, target: Path, *, max_pixels: int) -> None:
    """A JPEG copy of the photo at full size (no metadata carried over)."""
    with _decoding(), _open(source, content_type, max_pixels=max_pixels) as image:
        _viewable(image).save(target, "JPEG", quality=JPEG_QUALITY)


def write_thumbnail(source: Path, content_type: str, target: Path, *, max_pixels: int) -> None:
    """A JPEG at most THUMBNAIL_BOX, for the contact sheet."""
    with _decoding(), _open(source, content_type, max_pixels=max_pixels) as image:
        if image.format in ("JPEG", "MPO"):
            # Decodes at 1/2, 1/4 or 1/8 scale straight away: most of a big photo's cost.
            image.draft("RGB", (THUMBNAIL_BOX[0] * 2, THUMBNAIL_BOX[1] * 2))
        viewable = _viewable(image)
        viewable.thumbnail(THUMBNAIL_BOX, Image.Resampling.LANCZOS)
        viewable.save(target, "JPEG", quality=JPEG_QUALITY)


@dataclass(frozen=True, slots=True)
class SheetTile:
    label: str
    thumbnail: Path | None  # None: withheld from this reader


_COLUMNS = 3
_MARGIN = 16
_LABEL_HEIGHT = 52
_TITLE_HEIGHT = 64
_BACKGROUND = (255, 255, 255)
_TILE_BACKGROUND = (236, 236, 236)
_WITHHELD_TEXT = "已隐去（证件照片，个人信息不予显示）"
_EMPTY_TEXT = "暂无证据照片"


def load_font(font_path: Path, size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(str(font_path), size)
    except OSError as error:
        raise SheetFontMissing(
            _(
                "The font {font_path} (setting ACCIDENT_ONLINE_EVIDENCE_SHEET_FONT) cannot be "
                "read; install fonts-wqy-zenhei or point the setting at a CJK TrueType font.",
                font_path=str(font_path),
            ),
            font_path=str(font_path),
        ) from error


def write_contact_sheet(
    tiles: Sequence[SheetTile], *, title: str, font_path: Path, target: Path
) -> None:
    """One JPEG: the title, then the thumbnails three to a row, each with its label."""
    label_font = load_font(font_path, 26)
    title_font = load_font(font_path, 32)
    tile_width, tile_height = THUMBNAIL_BOX
    rows = max(1, -(-len(tiles) // _COLUMNS))
    width = _MARGIN + _COLUMNS * (tile_width + _MARGIN)
    height = _TITLE_HEIGHT + rows * (tile_height + _LABEL_HEIGHT + _MARGIN) + _MARGIN
    sheet = Image.new("RGB", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    draw.text((_MARGIN, _TITLE_HEIGHT // 2), title, font=title_font, fill=(0, 0, 0), anchor="lm")
    if not tiles:
        draw.text(
            (width // 2, _TITLE_HEIGHT + tile_height // 2),
            _EMPTY_TEXT,
            font=title_font,
            fill=(90, 90, 90),
            anchor="mm",
        )
    for position, tile in enumerate(tiles):
        row, column = divmod(position, _COLUMNS)
        left = _MARGIN + column * (tile_width + _MARGIN)
        top = _TITLE_HEIGHT + row * (tile_height + _LABEL_HEIGHT + _MARGIN)
        draw.rectangle(
            (left, top, left + tile_width - 1, top + tile_height - 1), fill=_TILE_BACKGROUND
        )
        if tile.thumbnail is None:
            draw.text(
                (left + tile_width // 2, top + tile_height // 2),
                _WITHHELD_TEXT,
                font=load_font(font_path, 20),
                fill=(90, 90, 90),
                anchor="mm",
            )
        else:
            with Image.open(tile.thumbnail, formats=["JPEG"]) as thumbnail:
                offset = (
                    left + (tile_width - thumbnail.width) // 2,
                    top + (tile_height - thumbnail.height) // 2,
                )
                sheet.paste(thumbnail, offset)
        draw.text(
            (left, top + tile_height + _LABEL_HEIGHT // 2),
            tile.label,
            font=label_font,
            fill=(0, 0, 0),
            anchor="lm",
        )
    sheet.save(target, "JPEG", quality=JPEG_QUALITY)
