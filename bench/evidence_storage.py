"""Evidence storage: 8 concurrent 10 MiB uploads on the local disk and on an object store.

Starts a real ``accident-online serve`` on a fresh SQLite database, once with
``EVIDENCE_STORE=local`` and once with ``EVIDENCE_STORE=s3`` against a one-node
OpenStack Swift with its S3 API on 127.0.0.1 (tests/object_store.py, the store the tests
use). For each:

- the API process's RSS before 8 concurrent uploads of distinct 10 MiB JPEGs and its
  highest RSS during them, sampled every 5 ms from /proc (VmHWM cannot tell: start-up
  peaks higher); the difference is the rise;
- upload throughput through the API, the app declaring each photo's ``sha256`` and
  ``size`` before its bytes (the photo then goes to the store while it arrives) and, in
  the same rounds, without that declaration (placed once whole); for the object store,
  8 concurrent plain HTTP PUTs of the same bytes straight to the store (presigned URLs)
  in the same run; with each side's CPU: the API process's and, on the object store, the
  store's own processes' (Swift's four and memcached), per round;
- photo download through ``view_url`` (following the 307 to the store when it redirects)
  against a direct GET of the same object, median of 8 sequential downloads each.

    .venv/bin/python bench/evidence_storage.py [--stores local,s3] [--rounds N] [--warmup W]

With ``--rounds N`` the uploads and the direct PUTs are measured N times each, alternating
(API declared, API undeclared, direct, API declared, ...), and the medians are
reported (``--declare yes`` or ``no`` measures one API side only): on a shared machine one
round of either side varies a lot. The first ``--warmup`` rounds of each side (default 1:
the first connections, the worker threads' start) are run the same way and shown apart,
not counted; the peak RSS counts them. The photos are kept in the temporary folder between
runs (making them takes half a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
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
from machine import (
    ROOT,
    describe_machine,
    format_table,
    machine_busy_seconds,
    print_machine,
    process_cpu_seconds,
    write_results,
)
from PIL import Image
from request_factories import report_body

sys.path.insert(0, str(ROOT / "tests"))
from object_store import ObjectStore, start_swift

UPLOADS = 8
LIMIT = 10 * 1024 * 1024
KINDS = ["overview_front", "overview_rear", "collision_point", "overview_front"]


def big_jpeg(seed: int) -> bytes:
    """A JPEG of pure noise just under 10 MiB (the upload limit), different per seed."""
    cached = Path(tempfile.gettempdir()) / f"ao-bench-noise-{seed}.jpg"
    if cached.is_file():
        return cached.read_bytes()
    data = _noise_jpeg(seed)
    cached.write_bytes(data)
    return data


def _noise_jpeg(seed: int) -> bytes:
    size = (3050, 3050)
    image = Image.merge("RGB", [Image.effect_noise(size, 60 + seed + c) for c in range(3)])
    for quality in (95, 92, 90, 88, 85, 80):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality)
        if buffer.tell() <= LIMIT - 4096:
            return buffer.getvalue()
    raise RuntimeError("could not make a photo under the limit")


async def make_cases(base_url: str, headers: dict[str, str], count: int, tag: str) -> list[str]:
    async with httpx.AsyncClient(base_url=base_url, timeout=300) as client:
        cases = []
        for n in range(count):
            created = await client.post(
                "/v1/reports",
                json=report_body(n, occurred_at=_now()),
                headers={**headers, "Idempotency-Key": f"storage-{tag}-{n}"},
            )
            created.raise_for_status()
            cases.append(created.json()["id"])
        return cases


async def upload_all(
    base_url: str, headers: dict[str, str], photos: list[bytes], cases: list[str], *, declare: bool
) -> float:
    """One photo to each case, all at once: the wall time. With ``declare``, the form's
    ``sha256`` and ``size`` come before the file, as an app that hashed the photo sends
    them (hashed here before the clock starts: the phone's work, not the API's)."""
    forms = [
        {"kind": "overview_front"}
        | ({"sha256": hashlib.sha256(p).hexdigest(), "size": str(len(p))} if declare else {})
        for p in photos
    ]
    async with httpx.AsyncClient(base_url=base_url, timeout=300) as client:

        async def one(n: int) -> None:
            answer = await client.post(
                f"/v1/cases/{cases[n]}/evidence",
                data=forms[n],
                files={"file": ("IMG.JPG", photos[n], "image/jpeg")},
                headers=headers,
            )
            answer.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(len(photos))))
        return time.perf_counter() - started


def variant(photos: list[bytes], round_: int) -> list[bytes]:
    """New bytes for another round (so nothing dedupes): the JPEG's comment differs."""
    if round_ == 0:
        return photos
    marker = hashlib.sha256(f"{round_}".encode()).digest()
    # A COM segment right after SOI: still the same, whole JPEG.
    return [p[:2] + b"\xff\xfe\x00\x22" + marker + p[2:] for p in photos]


async def put_direct(urls: list[str], photos: list[bytes]) -> float:
    async with httpx.AsyncClient(timeout=300) as client:

        async def one(url: str, data: bytes) -> None:
            (await client.put(url, content=data)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(u, d) for u, d in zip(urls, photos, strict=True)))
        return time.perf_counter() - started


class PatientServer(Server):
    """The same server, given longer to start: other engineers' tests share the cores."""

    def wait_ready(self, timeout: float = 120.0) -> None:
        super().wait_ready(timeout)


def median_get(urls: list[str], *, follow: bool, photo: bool = True, times: int = 1) -> float:
    """The median time of a GET of each URL, ``times`` over: of a whole photo, or (``photo``
    false) of whatever answers first, a 307 where redirects are not followed."""
    walls = []
    with httpx.Client(timeout=120, follow_redirects=follow) as client:
        for url in urls * times:
            started = time.perf_counter()
            answer = client.get(url)
            if photo:
                answer.raise_for_status()
                assert len(answer.content) > 1_000_000
            walls.append(time.perf_counter() - started)
    return statistics.median(walls)


def _store_cpu(swift: ObjectStore | None) -> float:
    """The object store's processes' CPU seconds so far (0 without a store)."""
    if swift is None:
        return 0.0
    return sum(process_cpu_seconds(pid) for pid in swift.pids)


def _now() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=5)


def run(
    store: str,
    photos: list[bytes],
    swift: ObjectStore | None,
    rounds: int,
    warmup: int,
    sides: list[bool],
) -> dict[str, Any]:
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
        with PatientServer(env, database.var_dir / "server.log") as server:
            token = token_for_client(server.base_url, "app-bench", app["client_secret"])
            headers = {"Authorization": f"Bearer {token}"}
            every_case = [
                asyncio.run(make_cases(server.base_url, headers, len(photos), f"r{r}"))
                for r in range((warmup + rounds) * len(sides))
            ]
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
            walls: dict[bool, list[float]] = {side: [] for side in sides}
            direct_walls: list[float] = []
            cpu: dict[bool, list[float]] = {side: [] for side in sides}
            store_cpu: dict[bool, list[float]] = {side: [] for side in sides}
            direct_store_cpu: list[float] = []
            busy: dict[bool, list[float]] = {side: [] for side in sides}
            client = swift.client() if swift is not None else None
            try:
                for round_ in range(warmup + rounds):
                    for number, declare in enumerate(sides):
                        # New bytes for each side and round: nothing dedupes.
                        side_round = round_ * len(sides) + number
                        sent = variant(photos, side_round)
                        cpu_before = process_cpu_seconds(server.pid)
                        store_before = _store_cpu(swift)
                        busy_before, total_before = machine_busy_seconds()
                        walls[declare].append(
                            asyncio.run(
                                upload_all(
                                    server.base_url,
                                    headers,
                                    sent,
                                    every_case[side_round],
                                    declare=declare,
                                )
                            )
                        )
                        cpu[declare].append(process_cpu_seconds(server.pid) - cpu_before)
                        store_cpu[declare].append(_store_cpu(swift) - store_before)
                        busy_after, total_after = machine_busy_seconds()
                        busy[declare].append(
                            (busy_after - busy_before) / max(1e-9, total_after - total_before)
                        )
                    if client is not None:
                        puts = [
                            client.presigned_put_object(
                                bucket, f"direct/{round_}/{n}", expires=timedelta(minutes=5)
                            )
                            for n in range(len(photos))
                        ]
                        store_before = _store_cpu(swift)
                        direct_walls.append(asyncio.run(put_direct(puts, sent)))
                        direct_store_cpu.append(_store_cpu(swift) - store_before)
            finally:
                sampling.set()
                sampler.join()
            server.check_alive()
            peak = max(sampled)
            warm_direct, direct_walls = direct_walls[:warmup], direct_walls[warmup:]
            row: dict[str, Any] = {
                "store": store,
                "RSS before MiB": f"{before:.0f}",
                "peak before MiB": f"{peak_before:.0f}",
                "peak RSS during MiB": f"{peak:.0f}",
                "rise MiB": f"{peak - before:.0f}",
            }
            median_wall: dict[bool, float] = {}
            for declare in sides:
                side = "API declared" if declare else "API undeclared"
                warm_walls, side_walls = walls[declare][:warmup], walls[declare][warmup:]
                median_wall[declare] = statistics.median(side_walls)
                row[f"{side} MB/s"] = f"{megabytes / median_wall[declare]:.0f}"
                row[f"{side} rounds MB/s"] = " ".join(f"{megabytes / w:.0f}" for w in side_walls)
                row[f"{side} warm-up MB/s"] = " ".join(f"{megabytes / w:.0f}" for w in warm_walls)
                row[f"{side} server CPU s"] = f"{statistics.median(cpu[declare][warmup:]):.2f}"
                if swift is not None:
                    row[f"{side} store CPU s"] = (
                        f"{statistics.median(store_cpu[declare][warmup:]):.2f}"
                    )
                row[f"{side} machine busy"] = f"{statistics.median(busy[declare][warmup:]):.2f}"
            # The view_urls, from each case as the app reads it.
            with httpx.Client(base_url=server.base_url, timeout=60) as api:
                views = [
                    item["view_url"]
                    for case in every_case[0]
                    for item in api.get(f"/v1/cases/{case}", headers=headers).json()["evidence"]
                ]
            row["GET view_url ms"] = f"{median_get(views, follow=True) * 1000:.1f}"
            # The API's part alone: its answer (a 307 on the object store), not followed.
            row["view_url answer ms"] = (
                f"{median_get(views, follow=False, photo=False, times=3) * 1000:.1f}"
            )
            if client is not None:
                names = [
                    str(item.object_name)
                    for item in client.list_objects(bucket, recursive=True)
                    if not str(item.object_name).startswith((".", "direct/"))
                ][: len(photos)]
                direct = [
                    client.presigned_get_object(bucket, name, expires=timedelta(minutes=5))
                    for name in names
                ]
                row["direct GET ms"] = f"{median_get(direct, follow=False) * 1000:.1f}"
                direct_wall = statistics.median(direct_walls)
                row["direct PUT MB/s"] = f"{megabytes / direct_wall:.0f}"
                row["direct rounds MB/s"] = " ".join(f"{megabytes / w:.0f}" for w in direct_walls)
                row["direct warm-up MB/s"] = " ".join(f"{megabytes / w:.0f}" for w in warm_direct)
                row["direct store CPU s"] = f"{statistics.median(direct_store_cpu[warmup:]):.2f}"
                for declare in sides:
                    side = "API declared" if declare else "API undeclared"
                    row[f"{side} ÷ direct"] = f"{direct_wall / median_wall[declare]:.2f}"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--stores", default="local,s3", help="local, s3 or both")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each side")
    parser.add_argument("--warmup", type=int, default=1, help="rounds first, not counted")
    parser.add_argument(
        "--declare",
        choices=["both", "yes", "no"],
        default="both",
        help="API uploads with the photo's sha256 and size declared first, without, or both",
    )
    args = parser.parse_args()
    sides = {"both": [True, False], "yes": [True], "no": [False]}[args.declare]
    stores = args.stores.split(",")
    machine = describe_machine()
    print_machine(machine)
    print("making the photos ...", flush=True)
    photos = [big_jpeg(n) for n in range(UPLOADS)]
    print(f"photo sizes: {', '.join(f'{len(p) / 2**20:.2f} MiB' for p in photos)}")
    rows = []
    if "local" in stores:
        rows.append(run("local", photos, None, args.rounds, args.warmup, sides))
    if "s3" in stores:
        # The store's folder goes with the run: each run writes a gigabyte or more to it.
        with (
            tempfile.TemporaryDirectory(prefix="ao-bench-swift-") as folder,
            start_swift(Path(folder)) as swift,
        ):
            rows.append(run("s3 (Swift)", photos, swift, args.rounds, args.warmup, sides))
    columns = list(dict.fromkeys(key for row in rows for key in row))
    print(format_table(rows, columns))
    print("results:", write_results("evidence_storage", {"machine": machine, "rows": rows}))


if __name__ == "__main__":
    main()
