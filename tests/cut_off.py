"""Requests whose client goes away, or stops sending, before the body ends: what httpx
cannot send (its transports either finish a body or fail the request). To the ASGI app
in-process, or over a socket to a real server."""

from __future__ import annotations

import asyncio
from typing import Any


async def post_cut_off(
    app: Any, path: str, headers: dict[str, str], parts: list[bytes], *, length: int
) -> tuple[int, bytes]:
    """POSTs ``parts`` of a body declared ``length`` bytes long, then disconnects: the
    answer's status and body."""
    messages = [{"type": "http.request", "body": part, "more_body": True} for part in parts]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    sent_headers = {
        **{key.lower(): value for key, value in headers.items()},
        "content-length": str(length),
        "host": "testserver",
    }
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in sent_headers.items()],
        "client": ("127.0.0.1", 51000),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return int(start["status"]), b"".join(m.get("body", b"") for m in sent if "body" in m)


async def send_upload_part(
    port: int, token: str, case_id: str, boundary: str, body: bytes, upto: int
) -> asyncio.StreamWriter:
    """An upload to a real server on 127.0.0.1:``port``: the request and the first
    ``upto`` bytes of its body; the rest never comes (close the writer to go away)."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            f"POST /v1/cases/{case_id}/evidence HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body[:upto]
    )
    await writer.drain()
    return writer
