"""Sweeping what crashed uploads leave in the store, at start-up and every so often.

A process killed mid-upload leaves its temporary ``.part`` file in ``.incoming/``; one
killed between moving a photo into place and committing its row leaves a photo no row
refers to; derived files (derived.py) outlive a photo that went. Each is taken only
once it is older than the grace period (another process may still be writing it, or be
about to commit its row) and never while an upload of this process holds it
(storage.IN_FLIGHT). A photo file is moved aside before it goes, and put back if an
upload claimed it meanwhile, exactly as a failed upload takes its file back
(``ContentStore.remove_unclaimed``).

With an object store (objects.py) the same is swept there: objects at a content address
that no row names, derived objects of photos that are gone, sheets drawn from one; each
removed only if it was not rewritten (claimed) since it was listed. ``check_store``
also reports the reverse, rows whose object is missing, which nothing can repair.

Blocking file I/O runs in worker threads; the database is asked only which hashes have
rows.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import anyio.to_thread
from minio.error import S3Error
from sqlmodel import col, select

from accident_online.evidence.derived import DERIVED_DIR, SHEETS_DIR, SOURCES_SUFFIX
from accident_online.evidence.objects import ObjectStorage, StoredObject
from accident_online.evidence.storage import (
    IN_FLIGHT,
    INCOMING_DIR,
    ContentStore,
    EvidenceStore,
    InFlight,
    StoredBlob,
    blob_key,
)
from accident_online.kit.db import Database
from accident_online.models.case import Evidence

logger = logging.getLogger(__name__)

_HEX2 = re.compile(r"[0-9a-f]{2}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_BATCH = 500


@dataclass
class SweepReport:
    partial_files: int = 0
    unreferenced_photos: int = 0
    derived_files: int = 0
    kept_in_flight: int = 0
    removed: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Photo:
    sha256: str
    path: Path
    mtime_ns: int


def _age_seconds(mtime_ns: int, now: float) -> float:
    return now - mtime_ns / 1e9


def _stale_incoming(root: Path, grace: float, in_flight: InFlight, report: SweepReport) -> None:
    incoming = root / INCOMING_DIR
    if not incoming.is_dir():
        return
    now = time.time()
    for path in incoming.iterdir():
        if in_flight.holds_path(path):
            report.kept_in_flight += 1
            continue
        try:
            if _age_seconds(path.stat().st_mtime_ns, now) < grace:
                continue
            path.unlink()
        except FileNotFoundError:
            continue  # finished or discarded meanwhile
        report.partial_files += 1
        report.removed.append(str(path))


def _old_photos(store: ContentStore, grace: float) -> list[_Photo]:
    """Photo files at their content address, older than ``grace``."""
    now = time.time()
    photos: list[_Photo] = []
    for first in store.root.iterdir() if store.root.is_dir() else ():
        if not _HEX2.fullmatch(first.name) or not first.is_dir():
            continue
        for second in first.iterdir():
            if not _HEX2.fullmatch(second.name) or not second.is_dir():
                continue
            for path in second.iterdir():
                if not _SHA256.fullmatch(path.name):
                    continue
                try:
                    mtime_ns = path.stat().st_mtime_ns
                except FileNotFoundError:
                    continue
                if _age_seconds(mtime_ns, now) >= grace:
                    photos.append(_Photo(path.name, path, mtime_ns))
    return photos


async def _referenced(database: Database, hashes: Sequence[str]) -> set[str]:
    found: set[str] = set()
    async with database.session(write=False) as session:
        for start in range(0, len(hashes), _BATCH):
            batch = list(hashes[start : start + _BATCH])
            rows = await session.exec(
                select(Evidence.sha256).where(col(Evidence.sha256).in_(batch)).distinct()
            )
            found.update(rows)
    return found


def _remove_photos(
    store: ContentStore, photos: Sequence[_Photo], in_flight: InFlight, report: SweepReport
) -> None:
    for photo in photos:
        if in_flight.holds_blob(photo.sha256):
            report.kept_in_flight += 1
            continue
        # Put back if an upload claimed it since it was listed (its mtime moved on).
        blob = StoredBlob(photo.sha256, 0, created=True, mtime_ns=photo.mtime_ns)
        if store.remove_unclaimed(blob):
            report.unreferenced_photos += 1
            report.removed.append(str(photo.path))


def _stale_derived(store: ContentStore, grace: float, report: SweepReport) -> None:
    """Derived files of photos that are gone, and temporary files of renders that died."""
    derived = store.root / DERIVED_DIR
    if not derived.is_dir():
        return
    now = time.time()

    def old(path: Path) -> bool:
        try:
            return _age_seconds(path.stat().st_mtime_ns, now) >= grace
        except FileNotFoundError:
            return False

    def remove(path: Path) -> None:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        report.derived_files += 1
        report.removed.append(str(path))

    for first in derived.iterdir():
        if first.name == SHEETS_DIR or not first.is_dir():
            continue
        for folder in first.iterdir():
            if _SHA256.fullmatch(folder.name) and not store.exists(folder.name):
                remove(folder)
                continue
            for path in folder.iterdir() if folder.is_dir() else ():
                if path.name.startswith(".") and old(path):
                    remove(path)
    sheets = derived / SHEETS_DIR
    for folder in sheets.iterdir() if sheets.is_dir() else ():
        for path in folder.iterdir():
            if path.name.startswith("."):
                if old(path):
                    remove(path)
                continue
            if path.suffix != SOURCES_SUFFIX:
                continue
            sources = path.read_text().split()
            if any(not _SHA256.fullmatch(s) or not store.exists(s) for s in sources):
                remove(path.with_suffix(".jpg"))
                remove(path)


async def sweep_store(
    database: Database,
    root: Path,
    *,
    grace_seconds: float,
    in_flight: InFlight = IN_FLIGHT,
) -> SweepReport:
    """Removes crash leftovers from the store under ``root``; what it removed."""
    store = ContentStore(root)
    report = SweepReport()
    if not await anyio.to_thread.run_sync(root.is_dir):
        return report
    await anyio.to_thread.run_sync(_stale_incoming, root, grace_seconds, in_flight, report)
    photos = await anyio.to_thread.run_sync(_old_photos, store, grace_seconds)
    if photos:
        referenced = await _referenced(database, [photo.sha256 for photo in photos])
        unreferenced = [photo for photo in photos if photo.sha256 not in referenced]
        await anyio.to_thread.run_sync(_remove_photos, store, unreferenced, in_flight, report)
    await anyio.to_thread.run_sync(_stale_derived, store, grace_seconds, report)
    if report.removed:
        logger.info(
            "swept evidence leftovers: %d partial uploads, %d photos without a row, "
            "%d derived files",
            report.partial_files,
            report.unreferenced_photos,
            report.derived_files,
        )
    return report


def _blob_object_key(key: str) -> str | None:
    """The hash of an object at a content address; None for any other key."""
    parts = key.split("/")
    if len(parts) == 3 and _SHA256.fullmatch(parts[2]) and key == blob_key(parts[2]):
        return parts[2]
    return None


def _sweep_objects_listed(
    store: ObjectStorage,
    listed: Sequence[StoredObject],
    unreferenced: Sequence[tuple[StoredObject, str]],
    grace: float,
    in_flight: InFlight,
    report: SweepReport,
) -> None:
    gone: set[str] = set()
    for item, claim in unreferenced:
        sha256 = item.key.rsplit("/", 1)[-1]
        if in_flight.holds_blob(sha256):
            report.kept_in_flight += 1
        # Unless an upload claimed it since its claim was read, before the rows were.
        elif store.remove_unclaimed(StoredBlob(sha256, item.size, created=True, claim=claim)):
            report.unreferenced_photos += 1
            report.removed.append(item.key)
            gone.add(sha256)
    present = {sha for item in listed if (sha := _blob_object_key(item.key)) is not None} - gone
    now = time.time() + 1  # as in sweep_objects
    prefix = f"{DERIVED_DIR}/"
    sheets = f"{DERIVED_DIR}/{SHEETS_DIR}/"
    for item in listed:
        if not item.key.startswith(prefix) or _age_seconds(item.mtime_ns, now) < grace:
            continue
        if item.key.startswith(sheets):
            if not item.key.endswith(SOURCES_SUFFIX):
                continue
            try:
                sources = store.read_text(item.key).split()
            except S3Error as error:
                logger.debug("sheet sources %s unreadable: %s", item.key, error.code)
                continue  # gone meanwhile
            if all(s in present for s in sources):
                continue
            for key in (item.key.removesuffix(SOURCES_SUFFIX) + ".jpg", item.key):
                store.remove(key)
                report.derived_files += 1
                report.removed.append(key)
            continue
        parts = item.key.split("/")  # .derived/ab/<sha>/<name>
        if len(parts) == 4 and parts[2] not in present:
            store.remove(item.key)
            report.derived_files += 1
            report.removed.append(item.key)


async def sweep_objects(
    database: Database,
    store: ObjectStorage,
    *,
    grace_seconds: float,
    in_flight: InFlight = IN_FLIGHT,
) -> SweepReport:
    """Removes crash leftovers from the local spool and from the object store."""
    report = SweepReport()
    if await anyio.to_thread.run_sync(store.root.is_dir):
        await anyio.to_thread.run_sync(
            _stale_incoming, store.root, grace_seconds, in_flight, report
        )
    listed = await anyio.to_thread.run_sync(lambda: list(store.listing()))
    # Stores give whole seconds, some rounded up: a second's slack on a grace of an hour.
    now = time.time() + 1
    old_photos = [
        item
        for item in listed
        if _blob_object_key(item.key) is not None
        and _age_seconds(item.mtime_ns, now) >= grace_seconds
    ]
    # Each object's claim marker is read before the rows are: a claim made after that
    # changes it, and the object stays (objects.py).
    claims = await anyio.to_thread.run_sync(
        lambda: [(item, store.claim_of(item.key)) for item in old_photos]
    )
    referenced = await _referenced(database, [item.key.rsplit("/", 1)[-1] for item in old_photos])
    unreferenced = [
        (item, claim)
        for item, claim in claims
        if claim is not None and item.key.rsplit("/", 1)[-1] not in referenced
    ]
    await anyio.to_thread.run_sync(
        _sweep_objects_listed, store, listed, unreferenced, grace_seconds, in_flight, report
    )
    if report.removed:
        logger.info(
            "swept evidence leftovers in the object store: %d partial uploads, "
            "%d photos without a row, %d derived files",
            report.partial_files,
            report.unreferenced_photos,
            report.derived_files,
        )
    return report


async def sweep_evidence(
    database: Database, store: EvidenceStore | Path, *, grace_seconds: float
) -> SweepReport:
    """The sweep of whichever store the settings chose."""
    if isinstance(store, ObjectStorage):
        return await sweep_objects(database, store, grace_seconds=grace_seconds)
    root = store if isinstance(store, Path) else store.root
    return await sweep_store(database, root, grace_seconds=grace_seconds)


async def missing_objects(database: Database, store: EvidenceStore) -> list[str]:
    """Hashes that rows name but the store does not hold."""
    async with database.session(write=False) as session:
        hashes = sorted(set(await session.exec(select(Evidence.sha256).distinct())))
    return await anyio.to_thread.run_sync(lambda: [h for h in hashes if not store.exists(h)])


async def sweep_quietly(
    database: Database, store: EvidenceStore | Path, *, grace_seconds: float
) -> None:
    """One sweep whose failure is logged: leftovers never stop the service."""
    try:
        await sweep_evidence(database, store, grace_seconds=grace_seconds)
    except Exception:
        logger.exception("sweeping evidence leftovers failed")


async def keep_swept(
    database: Database,
    root: EvidenceStore | Path,
    *,
    grace_seconds: float,
    every_seconds: float,
    stop: asyncio.Event,
) -> None:
    """Sweeps every ``every_seconds`` until ``stop`` (the start-up sweep ran before)."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)
        except TimeoutError:
            await sweep_quietly(database, root, grace_seconds=grace_seconds)
