"""One PUT of an object whose SHA-256 is known before its bytes are sent (objects.py).

The ``minio`` client would read a whole body into memory to hash and sign it. Here the
payload is signed with the hash already known (AWS Signature V4, as the client signs,
through its own signer) and streamed: from a file in ``SEND_BLOCK``s, or from an iterable
as it yields (``exactly``: a file still arriving). The store checks the bytes it got
against the signed hash and refuses others. One PUT, not a multipart upload, is also
what the store keeps in one piece (Swift's s3api makes a multipart upload segments and a
manifest).

A store that refuses bytes of another hash (AWS S3, MinIO, Ceph RGW and Swift's s3api all
do) is trusted with that check for a declared upload it takes as it arrives, so the API
need not hash the photo too (staging.py); ``refuses_a_wrong_hash`` finds out whether it
does, once, by trying.

Blocking I/O (urllib3): call from a worker thread in async code.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterable, Iterator
from typing import BinaryIO
from urllib.parse import urlunsplit

import urllib3
from minio.credentials.credentials import Credentials
from minio.error import S3Error, ServerError
from minio.helpers import BaseURL
from minio.signer import sign_v4_s3
from minio.time import to_amz_date, utcnow

from accident_online.evidence.storage import Readable

logger = logging.getLogger(__name__)

# What a streamed PUT reads from its file per send: 8 uploads at once hold 2 MiB.
SEND_BLOCK = 256 * 1024
_PROBE = b"accident-online: does the store check a signed payload's SHA-256?"


class ShortBody(Exception):
    """The file ended before the size its upload declared."""


def exactly(source: Readable, size: int) -> Iterator[memoryview]:
    """``size`` bytes of ``source``, read into one buffer of ``SEND_BLOCK`` sent before it
    is refilled (no memory taken per block); fails if ``source`` ends before."""
    view = memoryview(bytearray(min(SEND_BLOCK, size)))
    left = size
    while left > 0:
        count = source.readinto(view[: min(len(view), left)])
        if not count:
            raise ShortBody(f"the file ended {left} bytes before its declared size")
        left -= count
        yield view[:count]


class SignedPuts:
    def __init__(
        self,
        http: urllib3.PoolManager,
        base: BaseURL,
        *,
        region: str,
        credentials: Credentials | None,
    ) -> None:
        self._http = http
        self._base = base
        self._region = region
        self._credentials = credentials

    def put(
        self,
        bucket: str,
        name: str,
        body: BinaryIO | Iterable[bytes | memoryview],
        *,
        size: int,
        sha256: str,
        metadata: dict[str, str],
        retry: bool = True,
    ) -> None:
        """PUTs ``size`` bytes of ``body`` to ``name``, signed with their ``sha256``.

        ``retry=False`` for an iterable: a PUT cut short cannot be replayed from a stream.
        """
        url = self._base.build(
            method="PUT", region=self._region, bucket_name=bucket, object_name=name
        )
        date = utcnow()
        headers: dict[str, str | list[str] | tuple[str]] = {
            "Host": url.netloc,
            "Content-Length": str(size),
            "Content-Type": "application/octet-stream",
            "x-amz-content-sha256": sha256,
            "x-amz-date": to_amz_date(date),
            **{f"x-amz-meta-{key}": value for key, value in metadata.items()},
        }
        if self._credentials is not None:
            headers = sign_v4_s3(
                method="PUT",
                url=url,
                region=self._region,
                headers=headers,
                credentials=self._credentials,
                content_sha256=sha256,
                date=date,
            )
        response = self._http.urlopen(
            "PUT",
            urlunsplit(url),
            body=body,
            headers=headers,
            preload_content=True,
            **({} if retry else {"retries": False}),
        )
        if response.status != 200:
            if response.data and b"<Error" in response.data:
                raise S3Error.fromxml(response)
            raise ServerError(f"PUT {name}: the store answered {response.status}", response.status)


def refuses_a_wrong_hash(puts: SignedPuts, bucket: str, name: str) -> bool | None:
    """Whether the store refuses a PUT to ``name`` whose bytes are not those of the SHA-256
    it was signed with; None when it could not be told (the store unreachable, say). Any
    object the trial left at ``name`` is the caller's to remove.
    """
    wrong = hashlib.sha256(b"not " + _PROBE).hexdigest()
    try:
        puts.put(
            bucket,
            name,
            io.BytesIO(_PROBE),
            size=len(_PROBE),
            sha256=wrong,
            metadata={},
            retry=False,
        )
    except S3Error as error:
        refused = error.response.status < 500 and error.response.status not in (401, 403)
    except ServerError as error:
        refused = 400 <= error.status_code < 500 and error.status_code not in (401, 403)
    except Exception as error:  # the store unreachable: nothing learnt
        logger.warning("could not tell whether the object store checks payload hashes: %s", error)
        return None
    else:
        logger.warning(
            "the object store took bytes of another hash than signed: uploads are hashed here too"
        )
        return False
    return True if refused else None
