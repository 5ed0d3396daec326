"""Operators' evidence commands: ``evidence check`` and ``evidence migrate --to s3``.

``check`` sweeps the configured store as the service does at start-up (objects or files
no row names, derived files of photos that went, crash leftovers) and reports what it
removed, and the rows whose photo the store does not hold: those nothing can repair,
they are printed for a person to look into.

``migrate`` copies the local store's photos and derived files into the bucket under the
same keys. A photo file whose bytes do not hash to its name is reported and not copied;
every object is read back and its SHA-256 compared with the file's. What is in the bucket
with the right bytes already is not sent again, so an interrupted migration is simply
run again. The local files stay until the operator removes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import anyio.to_thread

from accident_online.evidence.derived import DERIVED_DIR, SOURCES_SUFFIX
from accident_online.evidence.objects import ObjectStorage
from accident_online.evidence.storage import EvidenceStore, blob_key, file_sha256, is_sha256
from accident_online.evidence.sweep import missing_objects, sweep_evidence
from accident_online.kit.db import Database


@dataclass
class CheckReport:
    removed: list[str]
    rows_without_object: list[str]


async def check_evidence(
    database: Database, store: EvidenceStore, *, grace_seconds: float
) -> CheckReport:
    swept = await sweep_evidence(database, store, grace_seconds=grace_seconds)
    missing = await missing_objects(database, store)
    return CheckReport(removed=swept.removed, rows_without_object=missing)


@dataclass
class MigrationReport:
    copied: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)


def _local_files(root: Path) -> list[tuple[str, Path]]:
    """(key, path) of every photo and derived file of the local store."""
    found: list[tuple[str, Path]] = []
    for path in sorted(root.glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*")):
        if path.is_file() and is_sha256(path.name):
            found.append((blob_key(path.name), path))
    derived = root / DERIVED_DIR
    for path in sorted(derived.rglob("*")) if derived.is_dir() else ():
        if path.is_file() and not path.name.startswith("."):
            found.append((path.relative_to(root).as_posix(), path))
    # Sheets' source lists before the sheets, as the service writes them.
    found.sort(key=lambda item: not item[0].endswith(SOURCES_SUFFIX))
    return found


def _migrate(root: Path, target: ObjectStorage) -> MigrationReport:
    report = MigrationReport()
    target.ensure_bucket()
    for key, path in _local_files(root):
        if not key.startswith(DERIVED_DIR) and file_sha256(path) != path.name:
            report.corrupt.append(key)
            continue
        if target.copy_verified(key, path):
            report.copied.append(key)
        else:
            report.already_there.append(key)
    return report


async def migrate_to_objects(root: Path, target: ObjectStorage) -> MigrationReport:
    return await anyio.to_thread.run_sync(_migrate, root, target)
