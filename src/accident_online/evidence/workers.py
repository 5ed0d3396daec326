"""The worker threads of uploads (staging.py): their pools, and how many of the threads
that wait on a phone an upload may take.

Blocking work (writing, hashing and following a JPEG's structure; the object store's PUT)
runs here so that the event loop never waits for it; a PUT follows its file as it
arrives, so it holds its thread for as long as the phone sends, which the slots bound.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

# PUTs streaming files to the object store while they arrive, each in a thread mostly
# waiting for the phone; more declared uploads are placed once whole.
ARRIVING_PUTS = 16
STREAMERS = ThreadPoolExecutor(ARRIVING_PUTS, thread_name_prefix="evidence-stream")
# Batches are written (hashed, a JPEG's structure followed) here while the next one is
# received.
WRITERS = ThreadPoolExecutor(8, thread_name_prefix="evidence-write")


class Slots:
    """A count of threads in use, none waited for: an upload finding none free does
    without (its PUT then runs once the file is whole)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._taken = 0

    def take(self) -> bool:
        with self._lock:
            if self._taken >= self._limit:
                return False
            self._taken += 1
            return True

    def give(self) -> None:
        with self._lock:
            self._taken -= 1

    @property
    def taken(self) -> int:
        with self._lock:
            return self._taken


PUT_SLOTS = Slots(ARRIVING_PUTS)
