"""A JPEG's structure followed to its end: what proves an upload whole (jpeg_structure.py)."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from accident_online.evidence.jpeg_structure import JpegStructure, runs_to_its_end


def photo(*, progressive: bool = False, restarts: bool = False) -> bytes:
    """A JPEG of noise: long entropy-coded data, with stuffed 0xFF bytes all through it."""
    generator = random.Random(11)
    pixels = bytes(generator.randrange(256) for _ in range(320 * 240 * 3))
    buffer = io.BytesIO()
    options: dict[str, object] = {"quality": 95, "progressive": progressive}
    if restarts:
        options["restart_marker_blocks"] = 4
    Image.frombytes("RGB", (320, 240), pixels).save(buffer, "JPEG", **options)
    return buffer.getvalue()


WHOLE = photo()
SHAPES = {
    "baseline": WHOLE,
    "progressive": photo(progressive=True),
    "restart markers": photo(restarts=True),
}
# Chunk sizes that put markers, lengths and stuffed bytes across reads.
CHUNKS = [1, 2, 3, 7, 64, 4096, 1 << 20]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("chunk", CHUNKS)
def test_whole_jpegs_run_to_their_end(shape: str, chunk: int) -> None:
    data = SHAPES[shape]
    assert data.count(b"\xff\x00") > 10  # the data holds stuffed bytes
    if shape == "restart markers":
        assert b"\xff\xd0" in data
    assert runs_to_its_end(io.BytesIO(data), chunk=chunk)
    # Bytes after the end marker (a camera's trailer) change nothing.
    assert runs_to_its_end(io.BytesIO(data + b"trailer"), chunk=chunk)


def cut_everywhere(data: bytes) -> list[bytes]:
    return [data[:length] for length in (*range(0, 40), *range(40, len(data), 97), len(data) - 1)]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_jpeg_cut_anywhere_does_not(shape: str) -> None:
    for cut in cut_everywhere(SHAPES[shape]):
        assert not runs_to_its_end(io.BytesIO(cut), chunk=5), len(cut)


@pytest.mark.parametrize(
    "damaged",
    [
        pytest.param(
            WHOLE[: len(WHOLE) // 2] + b"\xff\xd8" + WHOLE[len(WHOLE) // 2 :], id="SOI inside"
        ),
        pytest.param(
            WHOLE.replace(b"\xff\xda", b"\xff\xc0" + WHOLE[2:4] + b"\xff\xda", 1), id="2 frames"
        ),
        pytest.param(b"\xff\xd8\xff\xd9", id="no frame, no scan"),
        pytest.param(b"\xff\xd8\xff\xe0\x00\x01" + WHOLE[2:], id="length under 2"),
        pytest.param(b"\x89PNG" + WHOLE[4:], id="no SOI"),
        pytest.param(WHOLE[:2] + b"\x00" + WHOLE[2:], id="no marker where one must be"),
    ],
)
def test_a_damaged_structure_is_refused(damaged: bytes) -> None:
    assert not runs_to_its_end(io.BytesIO(damaged))


def test_it_refuses_what_decoding_refused_and_no_more() -> None:
    """Every cut the decoder refuses, the scan refuses; a file both accept decodes."""
    for cut in cut_everywhere(WHOLE)[40::3]:
        decoder_refused = False
        try:
            with Image.open(io.BytesIO(cut)) as image:
                image.load()
        except Exception:
            decoder_refused = True
        if decoder_refused:
            assert not runs_to_its_end(io.BytesIO(cut))


def fed(data: bytes, seed: int) -> JpegStructure:
    """``data`` fed as an upload feeds it: views of the network's chunks, of any size."""
    generator = random.Random(seed)
    structure = JpegStructure()
    view = memoryview(data)
    at = 0
    while at < len(data):
        size = generator.choice([1, 2, 3, 5, 64, 4096, 65536, 256_000])
        structure.feed(view[at : at + size])
        at += size
    return structure


@pytest.mark.parametrize("shape", SHAPES)
def test_fed_as_it_arrives_it_finds_what_reading_finds(shape: str) -> None:
    data = SHAPES[shape]
    for seed in range(5):
        structure = fed(data, seed)
        assert not structure.undecided  # settled at the end marker, before the end of file
        assert structure.whole()
        assert fed(data + b"trailer", seed).whole()
    for cut in cut_everywhere(data)[::7]:
        assert not fed(cut, len(cut)).whole(), len(cut)


def test_a_damaged_structure_is_refused_at_the_fault_without_waiting_for_the_end() -> None:
    structure = JpegStructure()
    structure.feed(WHOLE[:2] + b"\x00" + WHOLE[2:4096])
    assert not structure.undecided
    assert not structure.whole()
    structure.feed(WHOLE[4096:])  # the rest changes nothing
    assert not structure.whole()
