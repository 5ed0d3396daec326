"""The server's malloc arena cap (kit/malloc.py), in fresh processes: glibc's own report
(malloc_info) counts the arenas that threads allocating at once were given."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent(
    """
    import ctypes, ctypes.util, os, re, sys, tempfile, threading
    from accident_online.kit.malloc import limit_arenas

    taken = limit_arenas() if sys.argv[1] == "limit" else None
    start = threading.Barrier(8)

    def allocate() -> None:
        start.wait()  # all at once, so that each wants an arena of its own
        for _ in range(200):
            blocks = [bytearray(64 * 1024) for _ in range(8)]
            del blocks

    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    path = tempfile.mktemp()
    handle = libc.fopen(path.encode(), b"w")
    libc.malloc_info(0, handle)
    libc.fclose(handle)
    report = open(path).read()
    os.unlink(path)
    print(taken, len(re.findall(r"<heap nr=", report)))
    """
)


def arenas(mode: str, **env: str) -> tuple[str, int]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, mode],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env,
    )
    taken, count = result.stdout.split()
    return taken, int(count)


def test_the_cap_holds_the_threads_to_two_arenas() -> None:
    assert arenas("limit") == ("True", 2)
    # Without it, eight threads allocating at once get arenas of their own.
    _, default = arenas("none")
    assert default > 2


def test_an_operators_malloc_arena_max_wins() -> None:
    taken, count = arenas("limit", MALLOC_ARENA_MAX="4")
    assert taken == "False"
    assert 2 < count <= 4
