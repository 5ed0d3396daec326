"""Files derived from the photos (JPEG copies, thumbnails, contact sheets), made once and
kept beside them, content-addressed.

A copy or thumbnail of one photo lives under that photo's hash and the render version
(``.derived/<sha[:2]>/<sha>/jpeg-v1.jpg``), so it goes when its photo goes (see
sweep.py). A contact sheet is named by the hash of everything drawn on it (each photo's
hash, its label, withheld or not, the render version), so a new photo, or a reader who
sees other photos, makes another sheet and no sheet is ever stale; its ``.sources``
file lists the photos it was drawn from, for the sweep.

Derived files are written to a local temporary file, then moved (on disk) or uploaded
(to an object store) to their key: two requests making the same file at once both write
the same bytes, and a reader never sees half of one.

Blocking file I/O: call these from a worker thread in async code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

from accident_online.evidence.storage import EvidenceStore, blob_key

DERIVED_DIR = ".derived"
SHEETS_DIR = "sheets"
# Bump when what is drawn changes: every derived file is then made anew (and the old
# ones are swept with their photos).
RENDER_VERSION = 1
JPEG_COPY = f"jpeg-v{RENDER_VERSION}.jpg"
THUMBNAIL = f"thumb-v{RENDER_VERSION}.jpg"
SOURCES_SUFFIX = ".sources"
TEMPORARY_SUFFIX = ".tmp"


class DerivedStore:
    """Derived files as keys of the evidence store (local disk or object store)."""

    def __init__(self, store: EvidenceStore) -> None:
        self.store = store

    def of_photo(self, sha256: str, name: str) -> str:
        blob_key(sha256)  # the same strict check of the hash
        return f"{DERIVED_DIR}/{sha256[:2]}/{sha256}/{name}"

    def sheet(self, key: str) -> str:
        return f"{DERIVED_DIR}/{SHEETS_DIR}/{key[:2]}/{key}.jpg"

    def obtain(
        self, target: str, make: Callable[[Path], None], *, sources: Sequence[str] = ()
    ) -> str:
        """``target``, made by ``make(temporary_path)`` unless it exists already."""
        if self.store.has(target):
            return target
        temporary = self.store.temporary_path(TEMPORARY_SUFFIX)
        try:
            if sources:
                # Written before the sheet, so no sheet is ever without its list.
                listing = target.removesuffix(".jpg") + SOURCES_SUFFIX
                self.store.put_text(listing, "\n".join(sources) + "\n")
            make(temporary)
            self.store.put_file(target, temporary)
        finally:
            temporary.unlink(missing_ok=True)
        return target


def sheet_key(*, title: str, tiles: Sequence[tuple[str | None, str]]) -> str:
    """The sheet's name: a hash of its title and of each tile (photo hash or None, label)."""
    drawn = {"version": RENDER_VERSION, "title": title, "tiles": [list(tile) for tile in tiles]}
    return hashlib.sha256(json.dumps(drawn, ensure_ascii=False).encode()).hexdigest()
