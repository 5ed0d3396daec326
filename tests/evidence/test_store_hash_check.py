"""Whether the object store checks a PUT's bytes against the SHA-256 it is signed with, and
what a declared upload then leaves to it (signed_put.refuses_a_wrong_hash, staging.py):
against the real store (one-node Swift with s3api) and, for a store that takes bytes of
any hash, a loopback HTTP server that does just that."""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from accident_online.evidence.objects import ObjectStorage
from accident_online.evidence.sniffing import JPEG
from accident_online.evidence.staging import StagedUpload
from accident_online.evidence.storage import IN_FLIGHT, blob_key
from object_store import ObjectStore


def storage(endpoint: str, bucket: str, spool: Path, *, keys: tuple[str, str]) -> ObjectStorage:
    return ObjectStorage(
        endpoint=endpoint,
        bucket=bucket,
        access_key=keys[0],
        secret_key=keys[1],
        region="us-east-1",
        prefix="",
        spool=spool,
    )


def on_swift(swift: ObjectStore, bucket: str, spool: Path) -> ObjectStorage:
    return storage(swift.endpoint, bucket, spool, keys=(swift.access_key, swift.secret_key))


def objects(swift: ObjectStore, bucket: str) -> set[str]:
    return {str(item.object_name) for item in swift.client().list_objects(bucket, recursive=True)}


def test_swift_is_found_to_refuse_bytes_of_another_hash_and_keeps_nothing_of_the_trial(
    swift: ObjectStore, bucket: str, tmp_path: Path
) -> None:
    store = on_swift(swift, bucket, tmp_path)

    assert store.checks_signed_hash()
    assert store.checks_signed_hash()  # found out once
    assert objects(swift, bucket) == set()


class _AnyBytes(BaseHTTPRequestHandler):
    """An "object store" that stores whatever it is sent, signed hash or not."""

    objects: dict[str, bytes]
    requests: list[str]

    def do_PUT(self) -> None:
        self.requests.append(f"PUT {self.path}")
        self.objects[self.path] = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("ETag", '"x"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:
        self.requests.append(f"HEAD {self.path}")
        self.send_response(200 if self.path in self.objects else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_DELETE(self) -> None:
        self.requests.append(f"DELETE {self.path}")
        self.objects.pop(self.path, None)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def any_bytes_store() -> Iterator[tuple[str, _AnyBytes]]:
    handler = type("Handler", (_AnyBytes,), {"objects": {}, "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler  # type: ignore[misc]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_store_that_takes_bytes_of_any_hash_is_found_out_and_its_trial_removed(
    any_bytes_store: tuple[str, type[_AnyBytes]], tmp_path: Path
) -> None:
    endpoint, handler = any_bytes_store
    store = storage(endpoint, "evidence", tmp_path, keys=("key", "secret"))

    assert not store.checks_signed_hash()

    [put] = [r for r in handler.requests if r.startswith("PUT ")]
    assert put.startswith("PUT /evidence/.hash-check/")
    assert f"DELETE {put.removeprefix('PUT ')}" in handler.requests
    assert handler.objects == {}


async def test_a_declared_photo_the_store_checks_is_not_hashed_again_here(
    swift: ObjectStore, bucket: str, tmp_path: Path
) -> None:
    buffer = io.BytesIO()  # a JPEG of noise of a megabyte or more: many write batches
    Image.effect_noise((1600, 1200), 80).convert("RGB").save(buffer, "JPEG", quality=95)
    photo = buffer.getvalue()
    sha256 = hashlib.sha256(photo).hexdigest()
    staged = StagedUpload(on_swift(swift, bucket, tmp_path), max_pixels=50_000_000)
    try:
        staged.declare(sha256=sha256, size=len(photo))
        staged.expect(JPEG)
        for start in range(0, len(photo), 64 * 1024):
            await staged.write(photo[start : start + 64 * 1024])
        await staged.received(sha256=sha256, size=len(photo))
        await staged.settle(JPEG)
    finally:
        await staged.discard()

    assert not staged.hashed_here
    assert staged.sha256 == sha256
    assert staged.placed is not None
    assert staged.placed.sha256 == sha256
    assert objects(swift, bucket) == {blob_key(sha256)}
    answer = swift.client().get_object(bucket, blob_key(sha256))
    try:
        assert answer.read() == photo
    finally:
        answer.close()
        answer.release_conn()
    assert not IN_FLIGHT.holds_blob(sha256)
