"""Evidence in an S3-compatible bucket, against a real object store (one-node Swift with
s3api, tests/object_store.py): dedupe and claims across machines, uploads in parts,
photos, JPEG copies and contact sheets read back, view_url redirecting to a presigned
URL, the sweep of objects without a row, ``evidence check`` and ``evidence migrate``."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
import pytest
from minio.error import S3Error
from PIL import Image

from accident_online.cli import main
from accident_online.evidence.derived import JPEG_COPY, THUMBNAIL, DerivedStore
from accident_online.evidence.maintenance import check_evidence
from accident_online.evidence.objects import ObjectStorage
from accident_online.evidence.storage import IN_FLIGHT, INCOMING_DIR, ContentStore, blob_key
from accident_online.kit.db import Database
from accident_online.settings import Settings
from conftest import make_settings
from cut_off import post_cut_off
from multipart_bodies import declared_upload, form_body
from object_store import ObjectStore
from service_processes import heic, jpeg


def storage(swift: ObjectStore, bucket: str, spool: Path) -> ObjectStorage:
    return ObjectStorage(
        endpoint=swift.endpoint,
        bucket=bucket,
        access_key=swift.access_key,
        secret_key=swift.secret_key,
        region=swift.region,
        prefix="",
        spool=spool,
    )


def put(store: ObjectStorage, data: bytes):  # type: ignore[no-untyped-def]
    writer = store.begin()
    writer.write(data)
    return store.place(writer)


def keys(swift: ObjectStore, bucket: str) -> set[str]:
    return {
        str(item.object_name)
        for item in swift.client().list_objects(bucket, recursive=True)
        if item.object_name is not None
    }


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- the store itself ---------------------------------------------------------------------


def test_the_same_bytes_are_one_object_and_a_claimed_one_is_not_taken_back(
    swift: ObjectStore, bucket: str, tmp_path: Path
) -> None:
    # Two "machines": stores with spools of their own on the same bucket.
    first = storage(swift, bucket, tmp_path / "a")
    second = storage(swift, bucket, tmp_path / "b")
    data = jpeg(b"one object")
    created = put(first, data)
    again = put(second, data)

    assert created.created
    assert not again.created
    assert created.sha256 == again.sha256 == hashlib.sha256(data).hexdigest()
    assert keys(swift, bucket) == {blob_key(created.sha256)}
    assert b"".join(second.chunks(blob_key(created.sha256))) == data
    # The first upload's transaction failed, the second's did not: the claim keeps it.
    assert not first.remove_unclaimed(created)
    assert first.exists(created.sha256)
    # Its own claim being the last, a failed upload takes its object back.
    assert second.remove_unclaimed(again)
    assert not first.exists(created.sha256)
    # Nothing stays behind in either spool.
    assert files_under(tmp_path) == []


def test_a_large_photo_goes_in_one_put_signed_with_its_hash(
    swift: ObjectStore, bucket: str, tmp_path: Path
) -> None:
    store = storage(swift, bucket, tmp_path)
    data = os.urandom(10 * 1024 * 1024)
    writer = store.begin()
    for start in range(0, len(data), 64 * 1024):
        writer.write(data[start : start + 64 * 1024])
    blob = store.place(writer)

    stat = swift.client().stat_object(bucket, blob_key(blob.sha256))
    # One PUT, not a multipart upload (whose ETag would end with its number of parts).
    assert stat.etag == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert stat.size == len(data)
    assert (stat.metadata or {}).get("x-amz-meta-sha256") == blob.sha256
    assert store.sha256_of(blob_key(blob.sha256)) == hashlib.sha256(data).hexdigest()
    assert files_under(tmp_path) == []


def test_the_store_refuses_bytes_that_do_not_match_the_signed_hash(
    swift: ObjectStore, bucket: str, tmp_path: Path
) -> None:
    store = storage(swift, bucket, tmp_path)
    path = tmp_path / "photo"
    path.write_bytes(b"the bytes sent")
    wrong = hashlib.sha256(b"other bytes").hexdigest()

    with pytest.raises(S3Error), path.open("rb") as body:
        store._signed.put(
            bucket, blob_key(wrong), body, size=path.stat().st_size, sha256=wrong, metadata={}
        )
    # The same PUT streamed from a file still arriving, as a declared upload sends it.
    with pytest.raises(S3Error):
        store.place_arriving(io.BytesIO(b"the bytes sent"), sha256=wrong, size=14)

    assert keys(swift, bucket) == set()


# --- through the API ----------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path, database_url: str, swift: ObjectStore, bucket: str) -> Settings:
    return make_settings(tmp_path, database_url, **swift.settings(bucket))


@pytest.fixture
async def case(file_report) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await file_report()
    assert response.status_code == 201, response.text
    return dict(response.json())


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], case_id: str, kind: str, data: bytes
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/cases/{case_id}/evidence",
        data={"kind": kind},
        files={"file": ("IMG_0001.HEIC", data, "application/octet-stream")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_photos_live_in_the_bucket_and_view_urls_go_to_it(
    client: httpx.AsyncClient,
    app_headers: dict[str, str],
    officer_headers: dict[str, str],
    case: dict[str, Any],
    settings: Settings,
    swift: ObjectStore,
    bucket: str,
) -> None:
    photo = jpeg(b"in the bucket", size=(64, 48))
    iphone = heic(b"from an iPhone", size=(64, 48))
    plain = await upload(client, app_headers, case["id"], "overview_front", photo)
    converted = await upload(client, app_headers, case["id"], "overview_rear", iphone)

    content = await client.get(plain["content_url"], headers=officer_headers)
    assert content.status_code == 200
    assert content.content == photo
    assert content.headers["etag"] == f'"{plain["sha256"]}"'

    record = (await client.get(f"/v1/cases/{case['id']}", headers=officer_headers)).json()
    views = {item["sha256"]: item["view_url"] for item in record["evidence"]}
    async with httpx.AsyncClient(timeout=10) as browser:
        for sha256, expected_type in (
            (plain["sha256"], "image/jpeg"),
            (converted["sha256"], "image/jpeg"),
        ):
            redirect = await client.get(views[sha256])
            assert redirect.status_code == 307
            location = redirect.headers["location"]
            assert location.startswith(f"{swift.endpoint}/{bucket}/")
            assert "X-Amz-Signature=" in location
            direct = await browser.get(location)
            assert direct.status_code == 200
            assert direct.headers["content-type"] == expected_type
            if sha256 == plain["sha256"]:
                assert direct.content == photo
            else:
                with Image.open(io.BytesIO(direct.content)) as image:
                    assert (image.format, image.size) == ("JPEG", (64, 48))

    sheet = await client.get(f"/v1/cases/{case['id']}/evidence/sheet", headers=officer_headers)
    assert sheet.status_code == 200
    with Image.open(io.BytesIO(sheet.content)) as image:
        assert image.format == "JPEG"

    derived = DerivedStore(ContentStore(settings.resolved_storage_dir))
    stored = keys(swift, bucket)
    assert {
        blob_key(plain["sha256"]),
        blob_key(converted["sha256"]),
        derived.of_photo(converted["sha256"], JPEG_COPY),
        derived.of_photo(plain["sha256"], THUMBNAIL),
        derived.of_photo(converted["sha256"], THUMBNAIL),
    } <= stored
    assert sum(1 for key in stored if key.endswith(".sources")) == 1
    # The API machine's own folder holds nothing: uploads and renders went to the bucket.
    assert files_under(settings.resolved_storage_dir) == []


async def test_a_broken_photo_is_refused_and_its_object_taken_back(
    client: httpx.AsyncClient,
    app_headers: dict[str, str],
    case: dict[str, Any],
    settings: Settings,
    swift: ObjectStore,
    bucket: str,
) -> None:
    # Decoded while it goes to the bucket: the object is written, then taken back out.
    image = Image.effect_noise((1200, 900), 80).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    whole = buffer.getvalue()
    cut = whole[: len(whole) * 6 // 10]

    response = await client.post(
        f"/v1/cases/{case['id']}/evidence",
        data={"kind": "overview_front"},
        files={"file": ("IMG_0001.JPG", cut, "image/jpeg")},
        headers=app_headers,
    )

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "image-truncated"
    shown = await client.get(f"/v1/cases/{case['id']}", headers=app_headers)
    assert shown.json()["evidence"] == []
    assert keys(swift, bucket) == set()
    assert files_under(settings.resolved_storage_dir) == []


async def test_view_urls_pass_the_bytes_through_when_redirects_are_off(
    tmp_path: Path,
    database_url: str,
    database: Database,
    swift: ObjectStore,
    bucket: str,
    client: httpx.AsyncClient,
    app_headers: dict[str, str],
    officer_headers: dict[str, str],
    case: dict[str, Any],
) -> None:
    from accident_online.app import create_app

    photo = jpeg(b"through the API")
    uploaded = await upload(client, app_headers, case["id"], "overview_front", photo)
    record = (await client.get(f"/v1/cases/{case['id']}", headers=officer_headers)).json()
    quiet = make_settings(
        tmp_path / "other", database_url, **swift.settings(bucket), evidence_redirect_to_store=False
    )
    transport = httpx.ASGITransport(app=create_app(quiet, database=database))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        answer = await other.get(record["evidence"][0]["view_url"])
    assert answer.status_code == 200
    assert answer.content == photo
    assert uploaded["sha256"] == hashlib.sha256(photo).hexdigest()


async def test_the_sweep_and_check_take_objects_without_a_row(
    client: httpx.AsyncClient,
    app_headers: dict[str, str],
    officer_headers: dict[str, str],
    case: dict[str, Any],
    settings: Settings,
    database: Database,
    swift: ObjectStore,
    bucket: str,
) -> None:
    kept = await upload(client, app_headers, case["id"], "overview_front", jpeg(b"kept"))
    sheet = await client.get(f"/v1/cases/{case['id']}/evidence/sheet", headers=officer_headers)
    assert sheet.status_code == 200
    store = storage(swift, bucket, settings.resolved_storage_dir)
    derived = DerivedStore(store)
    # What a machine killed between the object write and the commit leaves: an object no
    # row names, here with a thumbnail and a sheet drawn from it.
    orphan = put(store, jpeg(b"no row"))
    thumbnail = store.temporary_path(".jpg")
    thumbnail.write_bytes(b"thumbnail")
    store.put_file(derived.of_photo(orphan.sha256, THUMBNAIL), thumbnail)
    store.put_text(".derived/sheets/ab/" + "ab" * 32 + ".sources", f"{orphan.sha256}\n")
    store.put_text(".derived/sheets/ab/" + "ab" * 32 + ".jpg", "sheet")
    # A photo placed by an upload of this process whose transaction is still open.
    held = put(store, jpeg(b"committing"))
    before = keys(swift, bucket)
    IN_FLIGHT.hold_blob(held.sha256)
    try:
        report = await check_evidence(database, store, grace_seconds=0)
    finally:
        IN_FLIGHT.release_blob(held.sha256)

    gone = {
        blob_key(orphan.sha256),
        derived.of_photo(orphan.sha256, THUMBNAIL),
        ".derived/sheets/ab/" + "ab" * 32 + ".sources",
        ".derived/sheets/ab/" + "ab" * 32 + ".jpg",
    }
    assert set(report.removed) == gone
    assert keys(swift, bucket) == before - gone
    assert blob_key(kept["sha256"]) in keys(swift, bucket)
    assert blob_key(held.sha256) in keys(swift, bucket)
    assert report.rows_without_object == []
    # A row whose object went is reported, not repaired.
    swift.client().remove_object(bucket, blob_key(kept["sha256"]))
    again = await check_evidence(database, store, grace_seconds=3600)
    assert again.rows_without_object == [kept["sha256"]]
    again_sheet = await client.get(
        f"/v1/cases/{case['id']}/evidence/sheet", headers=officer_headers
    )
    assert again_sheet.status_code == 200  # drawn from the thumbnail, which stayed


# --- uploads whose digest the app declared -------------------------------------------------

BOUNDARY = "ao-declared"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def noise_jpeg(width: int = 1600, height: int = 1200) -> bytes:
    """A JPEG of noise of about a megabyte: many write batches."""
    image = Image.effect_noise((width, height), 80).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def declared_form(photo: bytes, *, sha256: str | None = None, size: int | None = None) -> bytes:
    """kind, sha256 and size, then the file: a closed multipart body."""
    return form_body(
        BOUNDARY, declared_upload(photo, kind="overview_front", sha256=sha256, size=size)
    )


def has_object(swift: ObjectStore, bucket: str, sha256: str) -> bool:
    return blob_key(sha256) in keys(swift, bucket)


async def test_a_declared_photo_is_in_the_bucket_before_its_body_has_ended(
    client: httpx.AsyncClient,
    app_headers: dict[str, str],
    case: dict[str, Any],
    settings: Settings,
    swift: ObjectStore,
    bucket: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    photo = noise_jpeg()
    sha256 = hashlib.sha256(photo).hexdigest()
    body = declared_form(photo)
    seen_before_the_end: list[bool] = []

    async def arriving() -> AsyncIterator[bytes]:
        # Everything but the body's last two bytes: the file part is over, the body not.
        # Without a declaration nothing is placed before the body ends (service.py).
        yield body[:-2]
        deadline = time.monotonic() + 30
        while not await anyio.to_thread.run_sync(has_object, swift, bucket, sha256):
            assert time.monotonic() < deadline, "the object never came while the body was open"
            await asyncio.sleep(0.05)
        seen_before_the_end.append(True)
        yield body[-2:]

    with caplog.at_level(logging.INFO, logger="accident_online.evidence.staging"):
        response = await client.post(
            f"/v1/cases/{case['id']}/evidence",
            content=arriving(),
            headers={**app_headers, **MULTIPART},
        )

    assert response.status_code == 201, response.text
    assert response.json()["sha256"] == sha256
    assert seen_before_the_end == [True]
    assert "ended early" not in caplog.text
    assert keys(swift, bucket) == {blob_key(sha256)}
    assert store_sha256(swift, bucket, sha256) == sha256
    assert files_under(settings.resolved_storage_dir) == []


def store_sha256(swift: ObjectStore, bucket: str, sha256: str) -> str:
    answer = swift.client().get_object(bucket, blob_key(sha256))
    try:
        return hashlib.sha256(answer.read()).hexdigest()
    finally:
        answer.close()
        answer.release_conn()


async def test_a_stream_the_store_gave_up_on_is_placed_once_whole(
    client: httpx.AsyncClient,
    app_headers: dict[str, str],
    case: dict[str, Any],
    settings: Settings,
    swift: ObjectStore,
    bucket: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A phone that stalls longer than the store waits for a PUT's next bytes (the test
    # store's client_timeout, 5 s): the stream is given up, the upload is not.
    photo = noise_jpeg()
    sha256 = hashlib.sha256(photo).hexdigest()
    body = declared_form(photo)

    async def stalling() -> AsyncIterator[bytes]:
        half = len(body) // 2
        yield body[:half]
        await asyncio.sleep(7)
        yield body[half:]

    with caplog.at_level(logging.INFO, logger="accident_online.evidence.staging"):
        response = await client.post(
            f"/v1/cases/{case['id']}/evidence",
            content=stalling(),
            headers={**app_headers, **MULTIPART},
        )

    assert response.status_code == 201, response.text
    assert f"streaming {sha256} to the store ended early" in caplog.text
    assert keys(swift, bucket) == {blob_key(sha256)}
    assert store_sha256(swift, bucket, sha256) == sha256
    assert files_under(settings.resolved_storage_dir) == []


@pytest.mark.parametrize("wrong", ["sha256", "longer size", "a shorter file's digest"])
async def test_a_declared_photo_unlike_its_bytes_leaves_nothing_in_the_bucket(
    client: httpx.AsyncClient,
    app_headers: dict[str, str],
    case: dict[str, Any],
    settings: Settings,
    swift: ObjectStore,
    bucket: str,
    wrong: str,
) -> None:
    photo = noise_jpeg()
    if wrong == "sha256":
        body = declared_form(photo, sha256=hashlib.sha256(b"another photo").hexdigest())
    elif wrong == "longer size":
        body = declared_form(photo, size=len(photo) + 1)
    else:
        # The digest of the file's first 600 kB, and that size: the store takes those
        # bytes at their address, and the upload, stopped there, takes the object back.
        start = photo[:600_000]
        body = declared_form(photo, sha256=hashlib.sha256(start).hexdigest(), size=len(start))

    response = await client.post(
        f"/v1/cases/{case['id']}/evidence", content=body, headers={**app_headers, **MULTIPART}
    )

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "evidence-digest-mismatch"
    shown = await client.get(f"/v1/cases/{case['id']}", headers=app_headers)
    assert shown.json()["evidence"] == []
    assert keys(swift, bucket) == set()
    assert files_under(settings.resolved_storage_dir) == []


async def test_a_declared_photo_already_in_the_bucket_is_claimed_not_sent_again(
    client: httpx.AsyncClient,
    app_headers: dict[str, str],
    case: dict[str, Any],
    settings: Settings,
    swift: ObjectStore,
    bucket: str,
) -> None:
    photo = noise_jpeg(800, 600)
    sha256 = hashlib.sha256(photo).hexdigest()
    first = await upload(client, app_headers, case["id"], "overview_front", photo)
    claim_before = storage(swift, bucket, settings.resolved_storage_dir).claim_of(blob_key(sha256))

    second = await client.post(
        f"/v1/cases/{case['id']}/evidence",
        content=declared_form(photo),
        headers={**app_headers, **MULTIPART},
    )

    assert second.status_code == 201, second.text
    assert first["sha256"] == second.json()["sha256"] == sha256
    assert first["id"] != second.json()["id"]
    assert keys(swift, bucket) == {blob_key(sha256)}
    store = storage(swift, bucket, settings.resolved_storage_dir)
    assert store.claim_of(blob_key(sha256)) not in (None, claim_before)  # claimed again
    assert files_under(settings.resolved_storage_dir) == []


async def test_a_declared_upload_cut_off_leaves_nothing_in_the_bucket(
    app: Any,
    client: httpx.AsyncClient,
    app_headers: dict[str, str],
    case: dict[str, Any],
    settings: Settings,
    swift: ObjectStore,
    bucket: str,
) -> None:
    photo = noise_jpeg()
    body = declared_form(photo)
    status, _ = await post_cut_off(
        app,
        f"/v1/cases/{case['id']}/evidence",
        {**app_headers, **MULTIPART},
        [body[:300_000], body[300_000 : len(body) - 1000]],
        length=len(body),
    )

    assert status == 400
    shown = await client.get(f"/v1/cases/{case['id']}", headers=app_headers)
    assert shown.json()["evidence"] == []
    assert keys(swift, bucket) == set()
    assert files_under(settings.resolved_storage_dir) == []


# --- the commands -------------------------------------------------------------------------


def test_migrate_copies_verified_objects_and_can_run_again(
    swift: ObjectStore, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "evidence"
    local = ContentStore(root)
    photos = [jpeg(b"old photo one"), jpeg(b"old photo two")]
    blobs = []
    for data in photos:
        writer = local.begin()
        writer.write(data)
        blobs.append(local.place(writer))
    copy = root / DerivedStore(local).of_photo(blobs[0].sha256, JPEG_COPY)
    copy.parent.mkdir(parents=True)
    copy.write_bytes(b"a jpeg copy")
    # A file whose bytes no longer match its name is not copied, and is reported.
    broken = local.path_for(hashlib.sha256(b"rotted").hexdigest())
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"rotted, then changed")
    for name, value in {
        **swift.environment(bucket),
        "ACCIDENT_ONLINE_EVIDENCE_STORE": "local",
        "ACCIDENT_ONLINE_STORAGE_DIR": str(root),
        "ACCIDENT_ONLINE_VAR_DIR": str(tmp_path / "var"),
        "ACCIDENT_ONLINE_ENV": "test",
    }.items():
        monkeypatch.setenv(name, value)

    assert main(["evidence", "migrate", "--to", "s3"]) == 1
    first = capsys.readouterr().out
    assert '"copied": 3' in first
    assert blob_key(broken.name) in first
    assert main(["evidence", "migrate", "--to", "s3"]) == 1
    second = capsys.readouterr().out
    assert '"copied": 0' in second
    assert '"already_there": 3' in second

    target = storage(swift, bucket, tmp_path / "spool")
    assert keys(swift, bucket) == {
        blob_key(blobs[0].sha256),
        blob_key(blobs[1].sha256),
        DerivedStore(local).of_photo(blobs[0].sha256, JPEG_COPY),
    }
    for blob, data in zip(blobs, photos, strict=True):
        assert b"".join(target.chunks(blob_key(blob.sha256))) == data
    # An object changed in the bucket is sent again, and verified.
    swift.client().put_object(
        bucket, blob_key(blobs[1].sha256), io.BytesIO(b"wrong"), length=len(b"wrong")
    )
    broken.unlink()
    assert main(["evidence", "migrate", "--to", "s3"]) == 0
    assert '"copied": 1' in capsys.readouterr().out
    assert b"".join(target.chunks(blob_key(blobs[1].sha256))) == photos[1]


def test_evidence_check_reports_through_the_command(
    swift: ObjectStore, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    for name, value in {
        **swift.environment(bucket),
        "ACCIDENT_ONLINE_STORAGE_DIR": str(tmp_path / "spool"),
        "ACCIDENT_ONLINE_VAR_DIR": str(tmp_path / "var"),
        "ACCIDENT_ONLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'check.db'}",
        "ACCIDENT_ONLINE_EVIDENCE_SWEEP_GRACE_SECONDS": "0",
        "ACCIDENT_ONLINE_ENV": "test",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["migrate"]) == 0
    orphan = put(storage(swift, bucket, tmp_path / "spool"), jpeg(b"nobody's"))
    capsys.readouterr()

    assert main(["evidence", "check"]) == 0
    out = capsys.readouterr().out
    assert blob_key(orphan.sha256) in out
    assert keys(swift, bucket) == set()
    assert not (tmp_path / "spool" / INCOMING_DIR).exists() or files_under(tmp_path / "spool") == []
