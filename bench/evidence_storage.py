"""Evidence storage: 8 concurrent 10 MiB uploads on the local disk and on an object store.

Starts a real ``accident-online serve`` on a fresh SQLite database, once with
``EVIDENCE_STORE=local`` and once with ``EVIDENCE_STORE=s3`` against a one-node
OpenStack Swift with its S3 API on 127.0.0.1 (tests/object_store.py, the store the tests
use). For each:

- the API process's RSS before 8 concurrent uploads of distinct 10 MiB JPEGs and its
  highest RSS during them, sampled every 5 ms from /proc (VmHWM cannot tell: start-up
  peaks higher); the difference is the rise;
- upload throughput through the API, and, for the object store, 8 concurrent plain
  HTTP PUTs of the same bytes straight to the store (presigned URLs) in the same run;
- photo download through ``view_url`` (following the 307 to the store when it redirects)
  against a direct GET of the same object, median of 8 sequential downloads each.

    .venv/bin/python bench/evidence_storage.py
"""

from __future__ import annotations

import asyncio
import io
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from deployment import (
    Server,
    add_partner,
    fresh_database,
    migrate_and_seed,
    service_env,
    token_for_client,
)
from machine import ROOT, describe_machine, format_table, print_machine, write_results
from PIL import Image
from request_factories import report_body

sys.path.insert(0, str(ROOT / "tests"))
from object_store import ObjectStore, start_swift

UPLOADS = 8
LIMIT = 10 * 1024 * 1024
KINDS = ["overview_front", "overview_rear", "collision_point", "overview_front"]


def big_jpeg(seed: int) -> bytes:
    """A JPEG of pure noise just under 10 MiB (the upload limit), different per seed."""
    size = (3050, 3050)
    image = Image.merge("RGB", [Image.effect_noise(size, 60 + seed + c) for c in range(3)])
    for quality in (95, 92, 90, 88, 85, 80):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality)
        if buffer.tell() <= LIMIT - 4096:
            return buffer.getvalue()
    raise RuntimeError("could not make a photo under the limit")


async def upload_all(
    base_url: str, headers: dict[str, str], photos: list[bytes]
) -> tuple[float, list[str]]:
    """8 reports, then one photo to each, all at once: the wall time and the cases."""
    async with httpx.AsyncClient(base_url=base_url, timeout=300) as client:
        cases = []
        for n in range(len(photos)):
            created = await client.post(
                "/v1/reports",
                json=report_body(n, occurred_at=_now()),
                headers={**headers, "Idempotency-Key": f"storage-{n}"},
            )
            created.raise_for_status()
            cases.append(created.json()["id"])

        async def one(n: int) -> None:
            answer = await client.post(
                f"/v1/cases/{cases[n]}/evidence",
                data={"kind": "overview_front"},
                files={"file": ("IMG.JPG", photos[n], "image/jpeg")},
                headers=headers,
            )
            answer.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(len(photos))))
        return time.perf_counter() - started, cases


async def put_direct(urls: list[str], photos: list[bytes]) -> float:
    async with httpx.AsyncClient(timeout=300) as client:

        async def one(url: str, data: bytes) -> None:
            (await client.put(url, content=data)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(u, d) for u, d in zip(urls, photos, strict=True)))
        return time.perf_counter() - started


def median_get(urls: list[str], *, follow: bool) -> float:
    walls = []
    with httpx.Client(timeout=120, follow_redirects=follow) as client:
        for url in urls:
            started = time.perf_counter()
            answer = client.get(url)
            answer.raise_for_status()
            assert len(answer.content) > 1_000_000
            walls.append(time.perf_counter() - started)
    return statistics.median(walls)


def _now() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=5)


def run(store: str, photos: list[bytes], swift: ObjectStore | None) -> dict[str, Any]:
    megabytes = sum(len(p) for p in photos) / 1e6
    with fresh_database("sqlite") as database:
        extra: dict[str, str] = {}
        bucket = f"bench-{store.split()[0]}-{int(time.time())}"
        if swift is not None:
            swift.client().make_bucket(bucket)
            extra = swift.environment(bucket)
        env = service_env(database, ACCIDENT_ONLINE_RUN_HOUSEKEEPING="false", **extra)
        migrate_and_seed(env)
        app = add_partner(env, "app-bench", kind="app")
        with Server(env, database.var_dir / "server.log") as server:
            token = token_for_client(server.base_url, "app-bench", app["client_secret"])
            headers = {"Authorization": f"Bearer {token}"}
            # One small request first, so the RSS before counts a warmed-up process.
            httpx.get(f"{server.base_url}/readyz", timeout=10)
            before = server.rss_mib()
            peak_before = server.peak_rss_mib()  # start-up may have peaked higher already
            sampled = [before]
            sampling = threading.Event()

            def sample() -> None:
                while not sampling.is_set():
                    sampled.append(server.rss_mib())
                    sampling.wait(0.005)

            sampler = threading.Thread(target=sample)
            sampler.start()
            try:
                wall, cases = asyncio.run(upload_all(server.base_url, headers, photos))
            finally:
                sampling.set()
                sampler.join()
            server.check_alive()
            peak = max(sampled)
            row: dict[str, Any] = {
                "store": store,
                "RSS before MiB": f"{before:.0f}",
                "peak before MiB": f"{peak_before:.0f}",
                "peak RSS during MiB": f"{peak:.0f}",
                "rise MiB": f"{peak - before:.0f}",
                "API upload MB/s": f"{megabytes / wall:.0f}",
            }
            # The view_urls, from each case as the app reads it.
            with httpx.Client(base_url=server.base_url, timeout=60) as client:
                views = [
                    item["view_url"]
                    for case in cases
                    for item in client.get(f"/v1/cases/{case}", headers=headers).json()["evidence"]
                ]
            row["GET view_url ms"] = f"{median_get(views, follow=True) * 1000:.0f}"
            if swift is not None:
                client = swift.client()
                names = [
                    str(item.object_name)
                    for item in client.list_objects(bucket, recursive=True)
                    if not str(item.object_name).startswith(".")
                ]
                direct = [
                    client.presigned_get_object(bucket, name, expires=timedelta(minutes=5))
                    for name in names
                ]
                row["direct GET ms"] = f"{median_get(direct, follow=False) * 1000:.0f}"
                puts = [
                    client.presigned_put_object(bucket, f"direct/{n}", expires=timedelta(minutes=5))
                    for n in range(len(photos))
                ]
                direct_wall = asyncio.run(put_direct(puts, photos))
                row["direct PUT MB/s"] = f"{megabytes / direct_wall:.0f}"
    return row


def main() -> None:
    machine = describe_machine()
    print_machine(machine)
    print("making the photos ...", flush=True)
    photos = [big_jpeg(n) for n in range(UPLOADS)]
    print(f"photo sizes: {', '.join(f'{len(p) / 2**20:.2f} MiB' for p in photos)}")
    rows = [run("local", photos, None)]
    with start_swift(Path(tempfile.mkdtemp(prefix="ao-bench-swift-"))) as swift:
        rows.append(run("s3 (Swift)", photos, swift))
    columns = list(dict.fromkeys(key for row in rows for key in row))
    print(format_table(rows, columns))
    print("results:", write_results("evidence_storage", {"machine": machine, "rows": rows}))


if __name__ == "__main__":
    main()
