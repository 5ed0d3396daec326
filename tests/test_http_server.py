"""The HTTP server's header limits (kit.http_server), on a real ``accident-online serve``
process and real sockets: a client that drips its headers, or sends nothing, loses the
connection after ``header_timeout_seconds`` with a 408; one that sends too much header
gets a 400. Bodies and ordinary requests are unaffected."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from accident_online_testing.processes import command, free_port, stop, wait_ready
from service_processes import cli, service_environment

HEADER_TIMEOUT = 0.5
# The drip would take this long; the server must cut it off long before the end.
DRIP_BYTES = 60
DRIP_INTERVAL = 0.1
# Only stops a broken test from hanging; the server's bound is HEADER_TIMEOUT.
SOCKET_TIMEOUT = 10


@contextmanager
def serving(var: Path, **settings: str) -> Iterator[tuple[str, int]]:
    env = service_environment(
        f"sqlite+aiosqlite:///{var / 'api.db'}",
        var,
        jwt_secret="http-server-" + "h" * 40,
        ACCIDENT_ONLINE_RUN_DELIVERY_WORKER="false",
        ACCIDENT_ONLINE_RUN_HOUSEKEEPING="false",
        **settings,
    )
    cli(env, "migrate")
    port = free_port()
    process = subprocess.Popen(
        command("serve", "--host", "127.0.0.1", "--port", str(port)), env=env
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}", process)
        yield "127.0.0.1", port
    finally:
        stop(process)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    with serving(
        tmp_path_factory.mktemp("http-server"),
        ACCIDENT_ONLINE_HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT),
        ACCIDENT_ONLINE_MAX_HEADER_BYTES="8192",
    ) as address:
        yield address


def connect(server: tuple[str, int]) -> socket.socket:
    return socket.create_connection(server, timeout=SOCKET_TIMEOUT)


def read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def read_response(sock: socket.socket) -> bytes:
    """One whole response (headers and a Content-Length body), nothing after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    assert len(body) == length
    return head + b"\r\n\r\n" + body


def drip(sock: socket.socket, data: bytes) -> int:
    """Sends ``data`` a byte at a time; how many bytes went before the server closed."""
    sent = 0
    for byte in data:
        try:
            sock.send(bytes([byte]))
        except OSError:  # reset or broken pipe: the server is gone
            return sent
        sent += 1
        time.sleep(DRIP_INTERVAL)
        # Has the server answered (or closed) meanwhile? A look, without waiting.
        sock.settimeout(0)
        try:
            sock.recv(1, socket.MSG_PEEK)
            return sent
        except BlockingIOError:
            pass
        finally:
            sock.settimeout(SOCKET_TIMEOUT)
    return sent


def test_a_client_dripping_its_headers_is_cut_off_with_a_408(server) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n")
        sent = drip(sock, b"X-Slow: " + b"x" * DRIP_BYTES)
        answer = read_until_closed(sock)
    assert sent < DRIP_BYTES, "the server waited for the whole drip"
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b"application/problem+json" in answer
    assert b'"code": "request-timeout"' in answer
    # People first: Chinese when no Accept-Language arrived, said so in Content-Language.
    assert "请求头未在 0.5 秒内送达。".encode() in answer
    assert b"content-language: zh-CN\r\n" in answer


def test_the_408_follows_the_accept_language_that_arrived(server) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nAccept-Language: en\r\n")
        drip(sock, b"X-Slow: " + b"x" * DRIP_BYTES)
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b"The request headers did not arrive within 0.5 s." in answer
    assert b'"title": "Request timeout"' in answer


def test_a_connection_that_sends_nothing_is_closed(server) -> None:
    with connect(server) as sock:
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer


def test_a_kept_alive_connection_has_the_same_bound_for_its_next_request(server) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        first = read_response(sock)
        assert first.startswith(b"HTTP/1.1 200 "), first
        sent = drip(sock, b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow: " + b"x" * DRIP_BYTES)
        answer = read_until_closed(sock)
    assert sent < DRIP_BYTES
    assert answer.startswith(b"HTTP/1.1 408 "), answer


def test_oversized_headers_are_refused(server) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: " + b"x" * 10_000 + b"\r\n\r\n")
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 400 "), answer


def test_requests_sent_in_time_are_served(server) -> None:
    with connect(server) as sock:
        for _ in range(2):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            assert read_response(sock).startswith(b"HTTP/1.1 200 ")


def test_connections_past_the_limit_get_503_at_once(tmp_path: Path) -> None:
    with serving(tmp_path, ACCIDENT_ONLINE_MAX_CONNECTIONS="3") as address:
        held = [connect(address) for _ in range(3)]
        try:
            with connect(address) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
                answer = read_response(sock)
            with connect(address) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nAccept-Language: en\r\n\r\n")
                english = read_response(sock)
        finally:
            for sock in held:
                sock.close()

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 "), answer
    headers = dict(line.decode().lower().split(": ", 1) for line in head.split(b"\r\n")[1:])
    assert headers["content-type"] == "application/problem+json"
    assert headers["retry-after"] == "5"
    assert headers["connection"] == "close"
    problem = json.loads(body)
    assert problem["code"] == "service-unavailable"
    assert problem["status"] == 503
    assert problem["detail"] == "服务器同时处理的连接已达上限，请稍后重试。"
    assert json.loads(english.partition(b"\r\n\r\n")[2])["title"] == "Service unavailable"
