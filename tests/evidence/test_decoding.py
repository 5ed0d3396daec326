"""Uploads are decoded, not trusted: files that only start like an image, truncated
images and images of too many pixels are refused and leave nothing behind."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from accident_online.settings import Settings
from service_processes import heic, jpeg

ACCEPTED = ["image/jpeg", "image/png", "image/heic", "image/heif", "image/webp"]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_of_zeros(width: int, height: int, *, rows: int) -> bytes:
    """A greyscale PNG header of ``width``×``height`` whose data holds ``rows`` zero rows:
    small on the wire, ~width×height bytes once decoded."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * ((width + 1) * rows), 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


def noise(format: str, size: tuple[int, int] = (256, 192)) -> bytes:
    """A real image of random pixels (so that its data is long and a cut shows)."""
    generator = random.Random(7)
    pixels = bytes(generator.randrange(256) for _ in range(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, pixels).save(buffer, format)
    return buffer.getvalue()


def progressive_noise() -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(noise("JPEG"))).save(buffer, "JPEG", progressive=True, quality=90)
    return buffer.getvalue()


MP4_WITH_HEIC_BRAND = (
    struct.pack(">I", 24)
    + b"ftypheic"
    + b"\x00\x00\x00\x00"
    + b"mp42isom"
    + struct.pack(">I", 16)
    + b"moov"
    + b"\x00" * 8
    + struct.pack(">I", 24)
    + b"mdat"
    + b"\x00\x00\x00\x01" * 4
)
BARE_RIFF = b"RIFF" + struct.pack("<I", 4) + b"WEBP"
THREE_BYTE_JPEG = b"\xff\xd8\xff"


def stored_files(settings: Settings) -> list[Path]:
    root = settings.resolved_storage_dir
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], case_id: str, data: bytes
) -> httpx.Response:
    return await client.post(
        f"/v1/cases/{case_id}/evidence",
        data={"kind": "overview_front"},
        files={"file": ("IMG_0001.JPG", data, "image/jpeg")},
        headers=headers,
    )


@pytest.fixture
async def case(file_report) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await file_report()
    assert response.status_code == 201, response.text
    return dict(response.json())


async def assert_refused(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    case: dict[str, Any],
    settings: Settings,
    response: httpx.Response,
    status: int,
    code: str,
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    shown = await client.get(f"/v1/cases/{case['id']}", headers=headers)
    assert shown.json()["evidence"] == []
    assert shown.json()["version"] == case["version"]
    assert stored_files(settings) == []
    return dict(body)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(THREE_BYTE_JPEG, id="3-byte jpeg"),
        pytest.param(MP4_WITH_HEIC_BRAND, id="mp4 with a heic brand"),
        pytest.param(BARE_RIFF, id="bare riff header"),
        pytest.param(b"\xff\xd8\xff" + noise("PNG")[3:], id="png bytes behind a jpeg signature"),
        pytest.param(heic(b"cut")[:60], id="heic cut inside its boxes"),
    ],
)
async def test_a_file_that_only_starts_like_an_image_is_415(
    client, app_headers, case, settings, data
) -> None:
    response = await upload(client, app_headers, case["id"], data)

    body = await assert_refused(client, app_headers, case, settings, response, 415, "not-an-image")
    assert body["accepted"] == ACCEPTED


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(noise("JPEG")[: len(noise("JPEG")) * 6 // 10], id="jpeg cut at 60%"),
        pytest.param(noise("JPEG")[:-2], id="jpeg without its end marker"),
        pytest.param(progressive_noise()[: len(progressive_noise()) // 2], id="progressive cut"),
        pytest.param(
            noise("JPEG")[: len(noise("JPEG")) // 2]
            + b"\xff\xd8"
            + noise("JPEG")[len(noise("JPEG")) // 2 :],
            id="jpeg with a second start marker",
        ),
        pytest.param(noise("PNG")[: len(noise("PNG")) // 2], id="png cut in half"),
        pytest.param(noise("WEBP")[: len(noise("WEBP")) // 2], id="webp cut in half"),
    ],
)
async def test_a_truncated_image_is_422(client, app_headers, case, settings, data) -> None:
    response = await upload(client, app_headers, case["id"], data)

    await assert_refused(client, app_headers, case, settings, response, 422, "image-truncated")


# Big enough to arrive in several batches (staging.WRITE_BATCH), so that its structure is
# followed while it arrives (staging.py, jpeg_structure.py), not once it is whole.
def large_noise_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((1600, 1200), 80).convert("RGB").save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


LARGE_NOISE_JPEG = large_noise_jpeg()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(LARGE_NOISE_JPEG[: len(LARGE_NOISE_JPEG) * 6 // 10], id="cut at 60%"),
        pytest.param(LARGE_NOISE_JPEG[: len(LARGE_NOISE_JPEG) - 4096], id="last 4 KiB missing"),
    ],
)
async def test_a_large_jpeg_checked_as_it_arrives_is_refused_when_broken(
    client, app_headers, case, settings, data
) -> None:
    from accident_online.evidence import staging

    assert len(data) > 2 * staging.WRITE_BATCH
    response = await upload(client, app_headers, case["id"], data)

    assert response.status_code in (415, 422), response.text
    await assert_refused(
        client,
        app_headers,
        case,
        settings,
        response,
        response.status_code,
        response.json()["code"],
    )


async def test_a_large_jpeg_checked_as_it_arrives_is_stored_whole(
    client, app_headers, case, settings
) -> None:
    response = await upload(client, app_headers, case["id"], LARGE_NOISE_JPEG)

    assert response.status_code == 201, response.text
    [stored] = stored_files(settings)
    assert stored.read_bytes() == LARGE_NOISE_JPEG


async def test_a_png_of_50000_by_50000_zeros_is_refused_before_decoding(
    client, app_headers, case, settings
) -> None:
    bomb = png_of_zeros(50_000, 50_000, rows=200)
    assert len(bomb) < 100_000  # ~10 GB once decoded

    response = await upload(client, app_headers, case["id"], bomb)

    body = await assert_refused(
        client, app_headers, case, settings, response, 422, "image-too-many-pixels"
    )
    assert body["max_pixels"] == settings.evidence_max_pixels


async def test_the_pixel_limit_is_a_setting(client, app_headers, case, settings) -> None:
    settings.evidence_max_pixels = 100

    over = await upload(client, app_headers, case["id"], jpeg(b"11x10", size=(11, 10)))
    body = await assert_refused(
        client, app_headers, case, settings, over, 422, "image-too-many-pixels"
    )
    at_limit = await upload(client, app_headers, case["id"], jpeg(b"10x10", size=(10, 10)))

    assert "11×10" in body["detail"]
    assert body["max_pixels"] == 100
    assert at_limit.status_code == 201, at_limit.text


async def test_whole_images_of_every_type_are_still_accepted(client, app_headers, case) -> None:
    for format in ("JPEG", "PNG", "WEBP"):
        response = await upload(client, app_headers, case["id"], noise(format))
        assert response.status_code == 201, (format, response.text)
    response = await upload(client, app_headers, case["id"], progressive_noise())
    assert response.status_code == 201, response.text
    response = await upload(client, app_headers, case["id"], heic(b"whole", size=(640, 480)))
    assert response.status_code == 201, response.text


def test_the_upload_route_declares_the_new_refusals(app) -> None:
    operation = app.openapi()["paths"]["/v1/cases/{case_id}/evidence"]["post"]

    assert "not-an-image" in operation["responses"]["415"]["description"]
    # Every 422 is described alike in the document; the route's text names these.
    assert "`422 image-truncated`" in operation["description"]
    assert "`422 image-too-many-pixels`" in operation["description"]
