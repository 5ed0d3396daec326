"""A real API process on the object store killed with SIGKILL during uploads that declared
their digest (streamed to the bucket as they arrive): one whose object the store already
holds while its body is still open, so its row was never committed (the crash between
the object write and the commit, timed from outside), and two whose PUT is cut off
halfway. Nothing of them is visible afterwards: a PUT cut short leaves no object, and the
restarted process's start-up sweep takes the one no row names."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import time
from pathlib import Path

import anyio.to_thread
import httpx

from accident_online.evidence.storage import INCOMING_DIR, blob_key
from accident_online_testing.processes import free_port, stop
from cut_off import send_upload_part
from multipart_bodies import declared_upload, form_body
from object_store import ObjectStore
from service_processes import (
    crash_deployment,
    jpeg,
    partner_headers,
    start_server,
)

JWT_SECRET = "objects-crash-" + "k" * 40


def keys(swift: ObjectStore, bucket: str) -> set[str]:
    return {
        str(item.object_name)
        for item in swift.client().list_objects(bucket, recursive=True)
        if item.object_name is not None
    }


def declared_body(boundary: str, photo: bytes) -> bytes:
    return form_body(boundary, declared_upload(photo, kind="other"))


async def wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 30
    while not await anyio.to_thread.run_sync(condition):
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


async def test_a_sigkill_during_streamed_uploads_leaves_nothing_after_a_restart(
    tmp_path: Path, report_body, swift: ObjectStore, bucket: str
) -> None:  # type: ignore[no-untyped-def]
    env, var, secret = crash_deployment(
        tmp_path, jwt_secret=JWT_SECRET, client_id="app-crash", **swift.environment(bucket)
    )
    port = free_port()
    server = await start_server(env, port)
    writers: list[asyncio.StreamWriter] = []
    held_back = jpeg(b"in the bucket, its body still open", size=(640, 480))
    cut_off = [jpeg(b"cut off %d" % n, size=(640, 480)) + os.urandom(600_000) for n in (1, 2)]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            headers = await partner_headers(client, "app-crash", secret)
            token = headers["Authorization"].removeprefix("Bearer ")
            case = (
                await client.post(
                    "/v1/reports", json=report_body(), headers={**headers, "Idempotency-Key": "c"}
                )
            ).json()
            kept = jpeg(b"committed before the kill", size=(64, 48))
            answer = await client.post(
                f"/v1/cases/{case['id']}/evidence",
                data={"kind": "road", "sha256": hashlib.sha256(kept).hexdigest()},
                files={"file": ("p.jpg", kept, "image/jpeg")},
                headers=headers,
            )
            assert answer.status_code == 201, answer.text
        body = declared_body("held", held_back)
        writers.append(await send_upload_part(port, token, case["id"], "held", body, len(body) - 2))
        orphan = blob_key(hashlib.sha256(held_back).hexdigest())
        await wait_for(lambda: orphan in keys(swift, bucket), "the streamed object never came")
        for n, photo in enumerate(cut_off):
            body = declared_body(f"cut{n}", photo)
            half = len(body) // 2
            writers.append(await send_upload_part(port, token, case["id"], f"cut{n}", body, half))
        # Each upload's temporary file is begun with its PUT (staging.py); none can end.
        incoming = var / "evidence" / INCOMING_DIR
        await wait_for(lambda: len(list(incoming.glob("*.part"))) == 3, "uploads not begun")
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    finally:
        stop(server)
        for writer in writers:
            writer.close()

    committed = blob_key(hashlib.sha256(kept).hexdigest())
    # What the kill left: the object of the upload whose row never came, and no part of
    # the two cut off.
    assert keys(swift, bucket) == {committed, orphan}

    restarted = await start_server(env, port)
    try:
        await wait_for(lambda: keys(swift, bucket) == {committed}, "the sweep left the orphan")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            record = (await client.get(f"/v1/cases/{case['id']}", headers=headers)).json()
    finally:
        stop(restarted)

    assert [item["sha256"] for item in record["evidence"]] == [hashlib.sha256(kept).hexdigest()]
    left = [p for p in (var / "evidence").rglob("*") if p.is_file()]
    assert left == []
