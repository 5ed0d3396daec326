"""What a contact sheet costs: drawn the first time (A), then served as kept (B).

Starts a real ``accident-online serve`` on a fresh database, files a report and uploads
six photos of 4000×3000 (four JPEGs and two HEICs, as phones send them), then asks for
``GET /v1/cases/{id}/evidence/sheet``:

- A: the first request, which decodes every photo into a thumbnail and draws the sheet;
- B: the requests after it, which send the kept file;
- C: the sheet after a seventh photo, which reuses six kept thumbnails;

and, for the HEIC photos, the first and a later ``Accept: image/jpeg`` copy. Each line
gives the client's wall time and the server process's CPU time (from /proc), and the
server's peak RSS at the end. Uploads are timed too: each is now decoded in full.

    .venv/bin/python bench/contact_sheet.py
    .venv/bin/python bench/contact_sheet.py --repeats 50 --backend postgresql
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from typing import Any

import httpx
import pillow_heif
from deployment import (
    BACKENDS,
    Server,
    add_partner,
    fresh_database,
    migrate_and_seed,
    service_env,
    token_for_client,
)
from machine import (
    describe_machine,
    format_table,
    print_machine,
    process_cpu_seconds,
    write_results,
)
from PIL import Image
from request_factories import report_body

pillow_heif.register_heif_opener()

SIZE = (4000, 3000)
KINDS = [
    ("overview_front", None, "JPEG"),
    ("overview_rear", None, "JPEG"),
    ("collision_point", None, "HEIF"),
    ("plate", 0, "JPEG"),
    ("plate", 1, "HEIF"),
    ("damage", 1, "JPEG"),
]


def photo(seed: int, format: str) -> bytes:
    """A 4000×3000 photo-like image: colour gradients under fine noise, so that it
    compresses like a photo (a few MB), not like a flat test card."""
    gradient = Image.linear_gradient("L").resize(SIZE)
    channels = [
        Image.blend(gradient.rotate(90 * ((seed + c) % 4)).resize(SIZE), noise, 0.35)
        for c, noise in enumerate(Image.effect_noise(SIZE, 40 + 10 * c) for c in range(3))
    ]
    image = Image.merge("RGB", channels)
    buffer = io.BytesIO()
    if format == "JPEG":
        image.save(buffer, "JPEG", quality=85)
    else:
        image.save(buffer, "HEIF", quality=70)
    return buffer.getvalue()


def repeated(server: Server, call: Any, times: int) -> tuple[list[httpx.Response], float, float]:
    """``times`` calls: the responses, the median wall ms, and the server's CPU ms per
    call over all of them (/proc counts CPU in 10 ms ticks, too coarse for one call)."""
    cpu = process_cpu_seconds(server.pid)
    responses, walls = [], []
    for _ in range(times):
        started = time.perf_counter()
        responses.append(call())
        walls.append((time.perf_counter() - started) * 1000)
    per_call = (process_cpu_seconds(server.pid) - cpu) * 1000 / times
    return responses, statistics.median(walls), per_call


def timed(server: Server, call: Any) -> tuple[httpx.Response, float, float]:
    cpu = process_cpu_seconds(server.pid)
    started = time.perf_counter()
    response = call()
    wall = time.perf_counter() - started
    return response, wall * 1000, (process_cpu_seconds(server.pid) - cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=BACKENDS, default="sqlite")
    parser.add_argument("--repeats", type=int, default=20, help="requests after the first")
    args = parser.parse_args()
    machine = describe_machine()
    print_machine(machine)
    print("making the photos ...", flush=True)
    photos = [photo(n, format) for n, (_, _, format) in enumerate(KINDS)]
    extra = photo(99, "JPEG")
    sizes = [len(p) for p in photos]
    print(f"photo sizes: {', '.join(f'{s / 1e6:.1f} MB' for s in sizes)}")

    rows: list[dict[str, Any]] = []
    with fresh_database(args.backend) as database:
        env = service_env(database)
        migrate_and_seed(env)
        app = add_partner(env, "app-bench", kind="app")
        with (
            Server(env, database.var_dir / "server.log") as server,
            httpx.Client(base_url=server.base_url, timeout=120) as client,
        ):
            token = token_for_client(server.base_url, "app-bench", app["client_secret"])
            headers = {"Authorization": f"Bearer {token}"}
            body = report_body(1, occurred_at=_now())
            case = client.post(
                "/v1/reports", json=body, headers={**headers, "Idempotency-Key": "sheet"}
            ).json()
            uploads: dict[str, list[tuple[float, float]]] = {"JPEG": [], "HEIF": []}
            heic_urls = []
            for (kind, party, format), data in zip(KINDS, photos, strict=True):
                fields = {"kind": kind} if party is None else {"kind": kind, "party": str(party)}
                response, wall, cpu = timed(
                    server,
                    lambda f=fields, d=data: client.post(
                        f"/v1/cases/{case['id']}/evidence",
                        data=f,
                        files={"file": ("IMG.JPG", d, "application/octet-stream")},
                        headers=headers,
                    ),
                )
                response.raise_for_status()
                uploads[format].append((wall, cpu))
                if format == "HEIF":
                    heic_urls.append(response.json()["content_url"])
            for format, timings in uploads.items():
                name = "JPEG" if format == "JPEG" else "HEIC"
                rows.append(
                    {
                        "what": f"upload of one 4000×3000 {name} (decoded in full), "
                        f"median of {len(timings)}",
                        "wall ms": f"{statistics.median(w for w, _ in timings):.0f}",
                        "server CPU ms": f"{statistics.median(c for _, c in timings):.0f}",
                    }
                )
            url = f"/v1/cases/{case['id']}/evidence/sheet"

            def sheet() -> httpx.Response:
                response = client.get(url, headers=headers)
                response.raise_for_status()
                return response

            first, wall, cpu = timed(server, sheet)
            rows.append(
                {
                    "what": "A: first sheet of 6 photos (6 thumbnails + the sheet drawn)",
                    "wall ms": f"{wall:.0f}",
                    "server CPU ms": f"{cpu:.0f}",
                    "bytes": len(first.content),
                }
            )
            after, wall, cpu = repeated(server, sheet, args.repeats)
            assert all(r.content == first.content for r in after)
            rows.append(
                {
                    "what": f"B: the same sheet again (kept file), {args.repeats} requests",
                    "wall ms": f"{wall:.1f}",
                    "server CPU ms": f"{cpu:.1f}",
                    "bytes": len(first.content),
                }
            )
            client.post(
                f"/v1/cases/{case['id']}/evidence",
                data={"kind": "road"},
                files={"file": ("IMG.JPG", extra, "image/jpeg")},
                headers=headers,
            ).raise_for_status()
            seventh, wall, cpu = timed(server, sheet)
            rows.append(
                {
                    "what": "C: sheet after a 7th photo (6 thumbnails kept, 1 new)",
                    "wall ms": f"{wall:.0f}",
                    "server CPU ms": f"{cpu:.0f}",
                    "bytes": len(seventh.content),
                }
            )

            def as_jpeg() -> httpx.Response:
                response = client.get(heic_urls[0], headers={**headers, "Accept": "image/jpeg"})
                response.raise_for_status()
                return response

            _, wall, cpu = timed(server, as_jpeg)
            rows.append(
                {
                    "what": "HEIC as JPEG, first (decoded and encoded)",
                    "wall ms": f"{wall:.0f}",
                    "server CPU ms": f"{cpu:.0f}",
                }
            )
            again, wall, cpu = repeated(server, as_jpeg, args.repeats)
            rows.append(
                {
                    "what": f"HEIC as JPEG again (kept copy), {args.repeats} requests",
                    "wall ms": f"{wall:.1f}",
                    "server CPU ms": f"{cpu:.1f}",
                    "bytes": len(again[0].content),
                }
            )
            peak = server.peak_rss_mib()

    columns = ["what", "wall ms", "server CPU ms", "bytes"]
    print()
    print(format_table(rows, columns))
    print(f"\nserver peak RSS: {peak:.0f} MiB")
    path = write_results(
        "contact_sheet",
        {"machine": machine, "backend": args.backend, "rows": rows, "peak_rss_mib": peak},
    )
    print(f"results: {path}")


def _now() -> Any:
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(minutes=10)


if __name__ == "__main__":
    main()
