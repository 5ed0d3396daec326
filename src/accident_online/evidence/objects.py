"""The evidence store in an S3-compatible bucket (AWS S3, Aliyun OSS, Huawei OBS, Ceph
RGW, MinIO, Swift's s3api), through the ``minio`` client.

Objects have the keys the local store has paths (storage.blob_key, derived.py), under
an optional prefix. An upload is received into a local temporary file (storage.py),
hashed as it arrives; that hash is the object's key and also the SHA-256 its one PUT is
signed with (signed_put.py), so the file is streamed from disk as it is, neither read
into memory to be signed nor hashed a second time, and the store checks the bytes it got
against it. When the app declared the hash and size before the bytes, the same PUT
starts at once and reads the temporary file as it grows (``place_arriving``). Other files
(derived ones, migrated ones) are streamed in parts of ``PART_SIZE`` by the client, which
holds one part in memory at a time.

Dedupe across machines: the same bytes are one object. A placement that finds the
object already there *claims* it by copying it onto itself with a fresh ``claim``
marker in its metadata (a server-side copy, no bytes through us); a placement that
creates it writes its own marker. A failed upload takes its object back only if the
marker is still its own (``remove_unclaimed``): the object store has no atomic rename
to move it aside first, so the step from that check to the delete is a short window
in which a claim by another machine can be lost; the sweep's grace period (an hour)
makes that the only one.

Blocking I/O (urllib3): call these from a worker thread in async code.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import REPLACE, CopySource
from minio.credentials.credentials import Credentials
from minio.error import S3Error
from minio.helpers import BaseURL

from accident_online.evidence.signed_put import (
    SEND_BLOCK,
    SignedPuts,
    exactly,
    refuses_a_wrong_hash,
)
from accident_online.evidence.storage import (
    CHUNK,
    BlobWriter,
    ContentStore,
    Readable,
    StoredBlob,
    blob_key,
    file_sha256,
)

if TYPE_CHECKING:
    from accident_online.settings import Settings

# Parts of a multipart upload, the smallest S3 (and Swift's s3api) allows: the client
# reads one part into memory to sign it, so an upload in flight holds 5 MiB at most,
# never a whole 10 MiB photo (bench/evidence_storage.py measures the RSS).
PART_SIZE = 5 * 1024 * 1024
_TIMEOUT = 300.0
_MISSING = frozenset({"NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound"})
_CLAIM = "claim"
_SHA256 = "sha256"


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size: int
    mtime_ns: int


def _missing(error: S3Error) -> bool:
    return error.code in _MISSING


class ObjectStorage:
    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str,
        prefix: str,
        spool: Path,
    ) -> None:
        address = urlsplit(endpoint)
        if address.scheme not in ("http", "https") or not address.netloc:
            raise ValueError("the object store's endpoint must be an http(s) URL")
        # The client's own defaults (timeouts, retries of 5xx, CA bundle), with larger
        # sends; shared with the PUTs this class signs itself.
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=_TIMEOUT, read=_TIMEOUT),
            maxsize=10,
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
            retries=urllib3.Retry(
                total=5, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]
            ),
            blocksize=SEND_BLOCK,
        )
        self.client = Minio(
            address.netloc,
            access_key=access_key,
            secret_key=secret_key,
            secure=address.scheme == "https",
            region=region,
            http_client=self._http,
        )
        self._signed = SignedPuts(
            self._http,
            BaseURL(f"{address.scheme}://{address.netloc}", region),
            region=region,
            credentials=Credentials(access_key, secret_key) if access_key else None,
        )
        self.bucket = bucket
        self.prefix = prefix
        # Uploads and renders are received here before they go to the bucket.
        self.spool = ContentStore(spool)
        self.root = spool
        self._probing = threading.Lock()
        self._refuses_wrong_hash: bool | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ObjectStorage:
        if settings.s3_endpoint is None or settings.s3_bucket is None:
            raise ValueError("evidence_store = s3 needs s3_endpoint and s3_bucket")
        return cls(
            endpoint=settings.s3_endpoint,
            bucket=settings.s3_bucket,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key.get_secret_value(),
            region=settings.s3_region,
            prefix=settings.s3_prefix,
            spool=settings.resolved_storage_dir,
        )

    def ensure_bucket(self) -> None:
        if not self.client.bucket_exists(self.bucket):
            try:
                self.client.make_bucket(self.bucket)
            except S3Error as error:
                if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

    def _name(self, key: str) -> str:
        return self.prefix + key

    def _metadata(self, key: str) -> dict[str, str] | None:
        """The object's own metadata (lower-case names, no x-amz-meta-); None if absent."""
        try:
            stat = self.client.stat_object(self.bucket, self._name(key))
        except S3Error as error:
            if _missing(error):
                return None
            raise
        found: dict[str, str] = {}
        for name, value in (stat.metadata or {}).items():
            lowered = name.lower()
            if lowered.startswith("x-amz-meta-"):
                found[lowered.removeprefix("x-amz-meta-")] = str(value)
        return found

    def exists(self, sha256: str) -> bool:
        return self.has(blob_key(sha256))

    def has(self, key: str) -> bool:
        return self._metadata(key) is not None

    def size(self, key: str) -> int:
        stat = self.client.stat_object(self.bucket, self._name(key))
        return int(stat.size or 0)

    def chunks(self, key: str) -> Iterator[bytes]:
        answer = self.client.get_object(self.bucket, self._name(key))
        try:
            yield from answer.stream(CHUNK)
        finally:
            answer.close()
            answer.release_conn()

    def put_file(self, key: str, path: Path, *, metadata: dict[str, str] | None = None) -> None:
        """Streams a local file to ``key`` (in parts), then removes the local file."""
        try:
            self.client.fput_object(
                self.bucket,
                self._name(key),
                str(path),
                metadata=metadata,  # type: ignore[arg-type]
                part_size=PART_SIZE,
            )
        finally:
            path.unlink(missing_ok=True)

    def put_text(self, key: str, text: str) -> None:
        temporary = self.temporary_path(".txt")
        temporary.write_text(text)
        self.put_file(key, temporary)

    def read_text(self, key: str) -> str:
        return b"".join(self.chunks(key)).decode()

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """The object in a local temporary file, for the image decoder; removed after."""
        temporary = self.temporary_path(".copy")
        try:
            self.client.fget_object(self.bucket, self._name(key), str(temporary))
            yield temporary
        finally:
            temporary.unlink(missing_ok=True)

    def temporary_path(self, suffix: str) -> Path:
        return self.spool.temporary_path(suffix)

    def presigned_url(self, key: str, *, content_type: str, seconds: int) -> str | None:
        return self.client.presigned_get_object(
            self.bucket,
            self._name(key),
            expires=timedelta(seconds=seconds),
            response_headers={"response-content-type": content_type},
        )

    def begin(self) -> BlobWriter:
        return self.spool.begin()

    def checks_signed_hash(self) -> bool:
        """Whether the store refuses bytes of another SHA-256 than a PUT is signed with:
        found out by trying, once (``refuses_a_wrong_hash``; again if it could not tell)."""
        with self._probing:
            if self._refuses_wrong_hash is None:
                self._refuses_wrong_hash = self._try_a_wrong_hash()
            return bool(self._refuses_wrong_hash)

    def _try_a_wrong_hash(self) -> bool | None:
        key = f".hash-check/{uuid.uuid4().hex}"
        refused = refuses_a_wrong_hash(self._signed, self.bucket, self._name(key))
        if refused is None:
            return None
        try:
            if not self.has(key):
                return refused
            self.remove(key)  # bytes it took, or kept though it refused them
        except Exception:  # the store gone meanwhile: nothing learnt
            return None
        return False

    def place(self, writer: BlobWriter) -> StoredBlob:
        """Streams the received file to its content address, or claims the object there."""
        try:
            writer.close()  # the spool is scratch: no fsync, the store keeps the bytes

            def put(name: str, metadata: dict[str, str]) -> None:
                with writer.path.open("rb") as body:
                    self._signed.put(
                        self.bucket,
                        name,
                        body,
                        size=writer.size,
                        sha256=writer.sha256,
                        metadata=metadata,
                    )

            return self._claim_or_put(writer.sha256, writer.size, put)
        finally:
            writer.discard()

    def place_arriving(self, source: Readable, *, sha256: str, size: int) -> StoredBlob:
        """Streams ``size`` bytes from a file still arriving (an ``ArrivingFile``) to the
        address of their declared hash, or claims the object there without reading them.

        Not retried: a PUT cut short cannot be replayed from a stream, and the upload then
        places its file once whole (staging.py). Bytes of another hash never land at that
        address: the store checks them against the signed hash, and the upload stops the
        PUT, by failing ``source``'s reads, when they differ from what was declared.
        """

        def put(name: str, metadata: dict[str, str]) -> None:
            self._signed.put(
                self.bucket,
                name,
                exactly(source, size),
                size=size,
                sha256=sha256,
                metadata=metadata,
                retry=False,
            )

        return self._claim_or_put(sha256, size, put)

    def _claim_or_put(
        self, sha256: str, size: int, put: Callable[[str, dict[str, str]], None]
    ) -> StoredBlob:
        """Claims the object at the address of ``sha256``, or has ``put`` write it there
        (its object name and metadata); either way under a claim marker of its own."""
        key = blob_key(sha256)
        claim = uuid.uuid4().hex
        metadata = {_CLAIM: claim, _SHA256: sha256}
        if self._claim(key, metadata):
            return StoredBlob(sha256, size, created=False, claim=claim)
        put(self._name(key), metadata)
        return StoredBlob(sha256, size, created=True, claim=claim)

    def _claim(self, key: str, metadata: dict[str, str]) -> bool:
        """Marks an existing object as relied on by this upload; False if there is none."""
        name = self._name(key)
        try:
            self.client.copy_object(
                self.bucket,
                name,
                CopySource(self.bucket, name),
                metadata=metadata,  # type: ignore[arg-type]
                metadata_directive=REPLACE,
            )
        except S3Error as error:
            if _missing(error):
                return False
            raise
        return True

    def remove_unclaimed(self, blob: StoredBlob) -> bool:
        """Removes an object this placement wrote, unless it was claimed since; True if gone."""
        key = blob_key(blob.sha256)
        metadata = self._metadata(key)
        if metadata is None:
            return True
        if metadata.get(_CLAIM) != blob.claim:
            return False
        self.remove(key)
        return True

    def remove(self, key: str) -> None:
        self.client.remove_object(self.bucket, self._name(key))

    def claim_of(self, key: str) -> str | None:
        metadata = self._metadata(key)
        return None if metadata is None else metadata.get(_CLAIM, "")

    def listing(self, under: str = "") -> Iterator[StoredObject]:
        """Every object whose key starts with ``under``."""
        for item in self.client.list_objects(self.bucket, prefix=self._name(under), recursive=True):
            if item.object_name is None or item.is_dir:
                continue
            modified = item.last_modified
            yield StoredObject(
                key=item.object_name.removeprefix(self.prefix),
                size=int(item.size or 0),
                mtime_ns=int(modified.timestamp() * 1e9) if modified else 0,
            )

    def copy_verified(self, key: str, path: Path) -> bool:
        """Uploads a local file to ``key`` unless an object of the same bytes is there;
        then reads the object back and checks its SHA-256. True if it was uploaded."""
        expected = file_sha256(path)
        uploaded = False
        if not self.has(key) or self.sha256_of(key) != expected:
            self.client.fput_object(
                self.bucket,
                self._name(key),
                str(path),
                metadata={_SHA256: expected},
                part_size=PART_SIZE,
            )
            uploaded = True
        if self.sha256_of(key) != expected:
            raise RuntimeError(f"{key}: the stored object's SHA-256 differs from the file's")
        return uploaded

    def sha256_of(self, key: str) -> str:
        """The SHA-256 of the object's bytes, as read back from the store."""
        digest = hashlib.sha256()
        for chunk in self.chunks(key):
            digest.update(chunk)
        return digest.hexdigest()
