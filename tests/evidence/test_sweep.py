"""Sweeping crash leftovers: unfinished uploads, photo files without a row, derived files
of gone photos; never what an upload of this process holds, never before the grace."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from accident_online.evidence.derived import JPEG_COPY, THUMBNAIL, DerivedStore
from accident_online.evidence.storage import IN_FLIGHT, INCOMING_DIR, ContentStore, StoredBlob
from accident_online.evidence.sweep import keep_swept, sweep_store
from accident_online.kit.db import Database
from accident_online.settings import Settings
from accident_online_testing.processes import free_port, stop
from cut_off import send_upload_part
from multipart_bodies import form_body
from service_processes import (
    crash_deployment,
    jpeg,
    partner_headers,
    start_server,
    tiny_png,
)

LONG_AGO = time.time() - 7200


def put(store: ContentStore, data: bytes) -> StoredBlob:
    """A photo file at its content address, as an upload places it."""
    writer = store.begin()
    writer.write(data)
    return store.place(writer)


def age(path: Path) -> None:
    os.utime(path, (LONG_AGO, LONG_AGO))


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.fixture
async def uploaded(client, app_headers, file_report) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    case = (await file_report()).json()
    response = await client.post(
        f"/v1/cases/{case['id']}/evidence",
        data={"kind": "road"},
        files={"file": ("road.png", tiny_png(42), "image/png")},
        headers=app_headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_leftovers_go_and_what_is_referenced_or_held_stays(
    database: Database, settings: Settings, uploaded
) -> None:
    root = settings.resolved_storage_dir
    store = ContentStore(root)
    derived = DerivedStore(store)
    kept = store.path_for(uploaded["sha256"])
    kept_copy = root / derived.of_photo(uploaded["sha256"], JPEG_COPY)
    kept_copy.parent.mkdir(parents=True)
    kept_copy.write_bytes(b"copy")
    # A killed upload's temporary file, and a photo moved into place whose row never came.
    stray_part = root / INCOMING_DIR / "tmpkilled.part"
    stray_part.write_bytes(b"half a photo")
    orphan = put(store, jpeg(b"no row"))
    orphan_thumbnail = root / derived.of_photo(orphan.sha256, THUMBNAIL)
    orphan_thumbnail.parent.mkdir(parents=True)
    orphan_thumbnail.write_bytes(b"thumbnail")
    sheet = root / derived.sheet("ab" * 32)
    sheet.parent.mkdir(parents=True)
    sheet.write_bytes(b"sheet")
    sheet.with_suffix(".sources").write_text(f"{uploaded['sha256']}\n{orphan.sha256}\n")
    # What this process's uploads hold right now: a file being received, and a placed
    # file whose transaction has not committed yet.
    live = store.begin()
    live.write(b"arriving")
    placed = put(store, jpeg(b"committing"))
    IN_FLIGHT.hold_blob(placed.sha256)
    for path in files_under(root):
        age(path)
    try:
        report = await sweep_store(database, root, grace_seconds=60)
    finally:
        IN_FLIGHT.release_blob(placed.sha256)
        live.discard()

    assert files_under(root) == {kept, kept_copy, store.path_for(placed.sha256)}
    assert report.partial_files == 1
    assert report.unreferenced_photos == 1
    assert report.derived_files == 3  # the orphan's folder, the sheet and its list
    assert report.kept_in_flight == 2


async def test_nothing_younger_than_the_grace_period_goes(
    database: Database, settings: Settings, uploaded
) -> None:
    root = settings.resolved_storage_dir
    store = ContentStore(root)
    (root / INCOMING_DIR / "tmpother-process.part").write_bytes(b"still arriving")
    put(store, jpeg(b"about to be committed by another process"))
    before = files_under(root)

    report = await sweep_store(database, root, grace_seconds=600)

    assert files_under(root) == before
    assert report.removed == []


async def test_a_photo_claimed_while_the_sweep_runs_is_put_back(
    database: Database, settings: Settings
) -> None:
    """The sweep moves a photo aside and checks its time, as a failed upload does: an
    upload that claimed the same bytes meanwhile keeps them."""
    root = settings.resolved_storage_dir
    store = ContentStore(root)
    blob = put(store, jpeg(b"claimed"))
    age(store.path_for(blob.sha256))
    listed = StoredBlob(blob.sha256, 0, created=True, mtime_ns=int(LONG_AGO * 1e9))
    again = put(store, jpeg(b"claimed"))  # another upload of the same bytes claims it
    assert again.created is False

    assert store.remove_unclaimed(listed) is False
    assert store.exists(blob.sha256)


# --- a real server killed with SIGKILL during uploads -----------------------------------

JWT_SECRET = "sweep-crash-" + "k" * 40


async def _half_upload(port: int, token: str, case_id: str, n: int) -> asyncio.StreamWriter:
    """An upload whose body stops halfway: the server is receiving it when killed."""
    boundary = f"crash{n}"
    photo = jpeg(b"%d" % n) + b"\x00" * 400_000
    body = form_body(boundary, [("kind", "other"), ("file", photo)])
    return await send_upload_part(port, token, case_id, boundary, body, len(body) // 2)


async def test_after_a_sigkill_during_uploads_a_restart_leaves_the_store_clean(
    tmp_path: Path, report_body
) -> None:
    env, var, secret = crash_deployment(tmp_path, jwt_secret=JWT_SECRET, client_id="app-crash")
    root = var / "evidence"
    store = ContentStore(root)
    port = free_port()
    server = await start_server(env, port)
    writers: list[asyncio.StreamWriter] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            headers = await partner_headers(client, "app-crash", secret)
            token = headers["Authorization"].removeprefix("Bearer ")
            case = (
                await client.post(
                    "/v1/reports",
                    json=report_body(),
                    headers={**headers, "Idempotency-Key": "crash"},
                )
            ).json()
            committed = []
            for n in range(3):
                answer = await client.post(
                    f"/v1/cases/{case['id']}/evidence",
                    data={"kind": "road"},
                    files={"file": ("p.png", tiny_png(n), "image/png")},
                    headers=headers,
                )
                assert answer.status_code == 201, answer.text
                committed.append(answer.json()["sha256"])
            sheet = await client.get(f"/v1/cases/{case['id']}/evidence/sheet", headers=headers)
            assert sheet.status_code == 200, sheet.text
            writers = [await _half_upload(port, token, case["id"], n) for n in range(4)]
            incoming = root / INCOMING_DIR
            for _ in range(100):
                if len(list(incoming.glob("*.part"))) == len(writers):
                    break
                await asyncio.sleep(0.05)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    finally:
        stop(server)
        for writer in writers:
            writer.close()

    assert len(list((root / INCOMING_DIR).glob("*.part"))) == 4  # what the kill left
    # A kill between moving a photo into place and committing its row cannot be timed
    # from outside; it leaves exactly this: a photo file nothing refers to, here with
    # a JPEG copy already derived from it.
    orphan = put(store, jpeg(b"moved into place, then killed"))
    derived = DerivedStore(store)
    copy = root / derived.of_photo(orphan.sha256, JPEG_COPY)
    copy.parent.mkdir(parents=True)
    copy.write_bytes(b"copy")

    restarted = await start_server(env, port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            record = (await client.get(f"/v1/cases/{case['id']}", headers=headers)).json()
            sheet_again = await client.get(
                f"/v1/cases/{case['id']}/evidence/sheet", headers=headers
            )
    finally:
        stop(restarted)

    assert list((root / INCOMING_DIR).iterdir()) == []
    photos_on_disk = {
        p.name for p in root.glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*") if p.is_file()
    }
    assert photos_on_disk == {item["sha256"] for item in record["evidence"]} == set(committed)
    assert not copy.parent.exists()
    assert sheet_again.content == sheet.content  # derived files of kept photos stay


async def test_the_sweep_runs_again_every_interval(database: Database, settings: Settings) -> None:
    root = settings.resolved_storage_dir
    (root / INCOMING_DIR).mkdir(parents=True)
    stray = root / INCOMING_DIR / "tmplater.part"
    stop_sweeping = asyncio.Event()
    task = asyncio.create_task(
        keep_swept(database, root, grace_seconds=60, every_seconds=0.02, stop=stop_sweeping)
    )
    try:
        await asyncio.sleep(0.05)
        stray.write_bytes(b"left by a process killed after this one started")
        age(stray)
        for _ in range(50):
            if not stray.exists():
                break
            await asyncio.sleep(0.02)
    finally:
        stop_sweeping.set()
        await task

    assert not stray.exists()


async def test_check_on_the_local_disk_reports_rows_whose_file_is_missing(
    database: Database, settings: Settings, uploaded
) -> None:
    from accident_online.evidence.maintenance import check_evidence

    root = settings.resolved_storage_dir
    store = ContentStore(root)
    orphan = put(store, jpeg(b"no row, checked"))
    age(store.path_for(orphan.sha256))

    report = await check_evidence(database, store, grace_seconds=60)
    assert report.removed == [str(store.path_for(orphan.sha256))]
    assert report.rows_without_object == []

    store.path_for(uploaded["sha256"]).unlink()
    again = await check_evidence(database, store, grace_seconds=60)
    assert again.removed == []
    assert again.rows_without_object == [uploaded["sha256"]]
