"""Real services for tests: the environment a test deployment runs in, its command line,
PostgreSQL databases of their own (skipped, or failed in CI, when PostgreSQL is away), and
real image bytes to upload. Ports, readiness and stopping processes are in
``accident_online_testing`` (shared with bench/).

Imported by conftest.py and the tests that need real processes (scale-out, worker
crashes, the fuzzing gate); pytest puts this directory on the path (``pythonpath`` in
pyproject.toml).
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NoReturn

import httpx
import pillow_heif
import pytest
from PIL import Image

from accident_online_testing.databases import (
    DEFAULT_ADMIN_DSN,
    PostgresServer,
    PostgresUnavailable,
    unique_name,
)
from accident_online_testing.processes import command, stop, wait_ready_async

pillow_heif.register_heif_opener()


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


def crash_deployment(
    tmp_path: Path, *, jwt_secret: str, client_id: str, **extra: str
) -> tuple[dict[str, str], Path, str]:
    """A migrated, seeded SQLite deployment in ``tmp_path`` with one app partner, for a
    server that is killed and started again: its environment, its var folder and the
    partner's client secret. No delivery worker; the sweep's grace is 0, since the
    restarted process is alone and whatever no upload of its own holds may go."""
    var = tmp_path / "var"
    env = service_environment(
        f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}",
        var,
        jwt_secret=jwt_secret,
        ACCIDENT_ONLINE_RUN_DELIVERY_WORKER="false",
        ACCIDENT_ONLINE_EVIDENCE_SWEEP_GRACE_SECONDS="0",
        **extra,
    )
    cli(env, "migrate")
    cli(env, "seed")
    added = cli(env, "partners", "add", client_id, "--kind", "app", "--name", "A")
    return env, var, str(json.loads(added)["client_secret"])


async def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """``accident-online serve`` on 127.0.0.1:``port``, once it answers /readyz."""
    process = subprocess.Popen(  # noqa: ASYNC220
        command("serve", "--port", str(port)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await wait_ready_async(f"http://127.0.0.1:{port}", process)
    except BaseException:
        stop(process)
        raise
    return process


async def partner_headers(client: httpx.AsyncClient, client_id: str, secret: str) -> dict[str, str]:
    """The Authorization header of a partner signed in with its client credentials."""
    answer = await client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


POSTGRES = PostgresServer(os.environ.get("ACCIDENT_ONLINE_TEST_POSTGRES_DSN", DEFAULT_ADMIN_DSN))


def postgres_unavailable(error: Exception) -> NoReturn:
    """In CI the PostgreSQL tests must run; on a laptop without PostgreSQL they may not."""
    skip_or_fail = pytest.fail if os.environ.get("CI") else pytest.skip
    skip_or_fail(f"PostgreSQL unreachable: {error}")


@asynccontextmanager
async def postgres_database(prefix: str) -> AsyncIterator[str]:
    """A PostgreSQL database of its own (its SQLAlchemy URL), dropped afterwards."""
    name = unique_name(prefix)
    try:
        url = await POSTGRES.create(name)
    except PostgresUnavailable as error:
        postgres_unavailable(error)
    try:
        yield url
    finally:
        await POSTGRES.drop(name)


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
