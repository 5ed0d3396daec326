"""Real services for tests: processes of the service (the environment they run in, the
command line, waiting until an API is ready, stopping them by their own pid), databases
of their own on PostgreSQL, and real image bytes to upload.

Imported by conftest.py and the tests that need real processes (scale-out, worker
crashes, the fuzzing gate); pytest puts this directory on the path (``pythonpath`` in
pyproject.toml).
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pillow_heif
import pytest
from PIL import Image

pillow_heif.register_heif_opener()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_environment(
    database_url: str, var: Path, *, jwt_secret: str, **extra: str
) -> dict[str, str]:
    """This process's environment plus the service's settings for a test deployment:
    cheap password hashing, rate limits out of the way, quiet logs; ``extra`` on top."""
    return {
        **os.environ,
        "ACCIDENT_ONLINE_ENV": "test",
        "ACCIDENT_ONLINE_DATABASE_URL": database_url,
        "ACCIDENT_ONLINE_VAR_DIR": str(var),
        "ACCIDENT_ONLINE_STORAGE_DIR": str(var / "evidence"),
        "ACCIDENT_ONLINE_JWT_SECRET": jwt_secret,
        "ACCIDENT_ONLINE_LOG_LEVEL": "WARNING",
        "ACCIDENT_ONLINE_RATE_LIMIT_REPORTS_PER_MINUTE": "1000000",
        "ACCIDENT_ONLINE_RATE_LIMIT_SIGN_IN_PER_MINUTE": "1000000",
        "ACCIDENT_ONLINE_PASSWORD_HASH_TIME_COST": "1",
        "ACCIDENT_ONLINE_PASSWORD_HASH_MEMORY_KIB": "1024",
        **extra,
    }


def command(*args: str) -> list[str]:
    """The ``accident-online`` command line, run by this interpreter."""
    return [sys.executable, "-m", "accident_online", *args]


def cli(env: dict[str, str], *args: str, stdin: str = "") -> str:
    result = subprocess.run(
        command(*args),
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the API process died on start"
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} never became ready")


async def wait_ready_async(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            assert process.poll() is None, "an API process died on start"
            try:
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never became ready")


def stop(*processes: subprocess.Popen[bytes]) -> None:
    """SIGTERM to each (by its own pid), then SIGKILL to any still running after 15 s."""
    for process in processes:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


POSTGRES_ADMIN_DSN = os.environ.get(
    "ACCIDENT_ONLINE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@asynccontextmanager
async def postgres_database(prefix: str) -> AsyncIterator[str]:
    """A PostgreSQL database of its own (its SQLAlchemy URL), dropped afterwards.

    In CI an unreachable PostgreSQL fails the test; elsewhere it skips it.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        skip_or_fail = pytest.fail if os.environ.get("CI") else pytest.skip
        skip_or_fail(f"PostgreSQL unreachable: {error}")
        raise
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def tiny_png(seed: int = 0) -> bytes:
    """A real 1×1 PNG; ``seed`` changes the pixel, so the bytes (and hash) differ."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    pixel = bytes([0, seed % 256, (seed // 256) % 256, 200])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(pixel))
        + chunk(b"IEND", b"")
    )


def _pillow(format: str, note: bytes, size: tuple[int, int], **options: object) -> bytes:
    buffer = io.BytesIO()
    # The note also tints the pixels, so different notes make different images.
    tint = zlib.crc32(note) % 200
    Image.new("RGB", size, (tint, 120, 200 - tint)).save(buffer, format, **options)
    return buffer.getvalue()


def jpeg(note: bytes = b"", *, size: tuple[int, int] = (8, 6)) -> bytes:
    """A real JPEG made by Pillow; ``note`` goes into its comment."""
    return _pillow("JPEG", note, size, comment=note)


def webp(note: bytes = b"", *, size: tuple[int, int] = (8, 6)) -> bytes:
    return _pillow("WEBP", note, size, lossless=True, xmp=note)


def heic(note: bytes = b"", *, size: tuple[int, int] = (8, 6)) -> bytes:
    """A real HEIC, encoded by pillow-heif (x265), as an iPhone sends it."""
    return _pillow("HEIF", note, size, quality=60, xmp=note)
