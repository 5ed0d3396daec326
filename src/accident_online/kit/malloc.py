"""Fewer malloc arenas for the server process (glibc only).

glibc gives each thread that allocates an arena of its own, up to eight per core, and an
arena keeps what was freed in it. The upload threads (evidence/workers.py) each allocate
and free blocks of a few hundred KiB, so with one arena per thread the process's RSS grows
by what every arena keeps: 8 concurrent 10 MiB uploads raised it 27 to 34 MiB with the
default, 21 with two arenas, at the same throughput (docs/BENCHMARKS.md section 5).

``MALLOC_ARENA_MAX`` in the environment, when set, is glibc's own setting and wins.
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt's parameter for the arena limit (glibc's malloc.h).
M_ARENA_MAX = -8
SERVER_ARENAS = 2


def limit_arenas(count: int = SERVER_ARENAS) -> bool:
    """Caps the arenas threads started from now on share; True if glibc took it."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, count))
