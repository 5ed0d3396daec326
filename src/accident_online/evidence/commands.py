"""``accident-online evidence``: check the photo store, and migrate it to object storage."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from accident_online.settings import Settings


def cmd_evidence_check(settings: Settings, _: argparse.Namespace) -> int:
    """Sweeps the evidence store and reports; 1 if some row's photo is missing."""
    from accident_online.evidence.maintenance import check_evidence
    from accident_online.evidence.storage import open_store

    async def work() -> dict[str, list[str]]:
        database = settings.open_database(pool_size=2)
        try:
            report = await check_evidence(
                database, open_store(settings), grace_seconds=settings.evidence_sweep_grace_seconds
            )
        finally:
            await database.dispose()
        return {"removed": report.removed, "rows_without_object": report.rows_without_object}

    report = asyncio.run(work())
    print(json.dumps(report, indent=2))
    return 1 if report["rows_without_object"] else 0


def cmd_evidence_migrate(settings: Settings, _: argparse.Namespace) -> int:
    """Copies the local evidence into the bucket of the s3_* settings; 1 if a file is corrupt."""
    from accident_online.evidence.maintenance import migrate_to_objects
    from accident_online.evidence.objects import ObjectStorage

    try:
        target = ObjectStorage.from_settings(settings)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = asyncio.run(migrate_to_objects(settings.resolved_storage_dir, target))
    print(
        json.dumps(
            {
                "copied": len(report.copied),
                "already_there": len(report.already_there),
                "corrupt": report.corrupt,
            },
            indent=2,
        )
    )
    return 1 if report.corrupt else 0


def add_evidence_commands(commands: Any) -> None:
    """Adds ``evidence check`` and ``evidence migrate`` to the command's subparsers."""
    evidence = commands.add_parser("evidence", help="the photo store")
    evidence_commands = evidence.add_subparsers(dest="evidence_command", required=True)
    evidence_commands.add_parser(
        "check",
        help="sweep leftovers (files or objects without a row) and report rows whose "
        "photo is missing, as JSON",
    ).set_defaults(handler=cmd_evidence_check)
    migrate = evidence_commands.add_parser(
        "migrate",
        help="copy the local evidence into the object store (ACCIDENT_ONLINE_S3_*), "
        "verifying each object's hash; safe to run again",
    )
    migrate.add_argument("--to", required=True, choices=["s3"])
    migrate.set_defaults(handler=cmd_evidence_migrate)
