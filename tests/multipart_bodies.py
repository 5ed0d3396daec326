"""Multipart upload bodies built by hand, for what httpx would not send: parts in a chosen
order (the declared digest before or after the file), bodies cut or held back."""

from __future__ import annotations

import hashlib

Parts = list[tuple[str, "str | bytes"]]


def form_body(boundary: str, parts: Parts, *, file_type: str = "image/jpeg") -> bytes:
    """A closed multipart body of ``parts`` in their order; a bytes value is the file."""
    body = b""
    for name, value in parts:
        if isinstance(value, bytes):
            head = f'Content-Disposition: form-data; name="{name}"; filename="a.img"\r\n'
            head += f"Content-Type: {file_type}\r\n"
            body += f"--{boundary}\r\n{head}\r\n".encode() + value + b"\r\n"
        else:
            body += (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            ).encode()
    return body + f"--{boundary}--\r\n".encode()


def declared_upload(
    photo: bytes, *, kind: str, sha256: str | None = None, size: int | None = None
) -> Parts:
    """``kind``, the photo's ``sha256`` and ``size`` (its own unless given), then the file."""
    return [
        ("kind", kind),
        ("sha256", sha256 or hashlib.sha256(photo).hexdigest()),
        ("size", str(len(photo) if size is None else size)),
        ("file", photo),
    ]
