"""Where one report's time goes: the intake path, in-process, profiled and its SQL counted.

Builds the app with ``create_app`` on a fresh database (migrated, seeded, an app partner
and two insurers with webhook URLs, as in ``bench/intake.py``), calls it as an ASGI
application directly (no HTTP client or server in the profile), files a few hundred
reports one after another, and prints:

- the wall time per report without a profiler;
- the SQL statements one report runs, and how many transactions;
- a pyinstrument profile (or cProfile's top functions when pyinstrument is missing).

    .venv/bin/python bench/profile_intake.py --backend sqlite --reports 300
    .venv/bin/python bench/profile_intake.py --backend postgresql --html /tmp/intake.html

pyinstrument is not a project dependency: ``.venv/bin/pip install pyinstrument``.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import pstats
import re
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import uvloop
from deployment import (
    BACKENDS,
    JWT_SECRET,
    add_partner,
    fresh_database,
    migrate_and_seed,
    service_env,
)
from load import call_asgi
from request_factories import Get, ReportPosts

UNUSED_HOOK = "http://127.0.0.1:9/hooks"


def normalise_sql(statement: str) -> str:
    """One line per kind of statement, literal lists folded, for counting."""
    flat = " ".join(statement.split())
    flat = re.sub(r"\((?:\$\d+|\?|%\([^)]*\)s)(?:, (?:\$\d+|\?|%\([^)]*\)s))*\)", "(…)", flat)
    return flat[:160]


async def core_floor(engine: Any, backend: str, reports: int) -> dict[str, float]:
    """What the same rows cost written with SQLAlchemy Core, as a floor for the ORM path.

    Two transactions as now (the key claimed on its own, then everything else), but
    one statement per table: claim the key; queue depths; insurers with their webhook
    URLs; the day's case number; the case; both parties; both events; the outbox rows;
    the stored response. The body is validated with the same schema and a response of
    the same size serialised, so only the database path differs.
    """
    import hashlib
    import json
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import Table, func, select, update
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    from accident_online.intake.schemas import ReportCreate
    from accident_online.kit.db import WRITE_OPTION
    from accident_online.kit.idempotency_keys import IdempotencyKey
    from accident_online.models.case import Case, CaseEvent, CaseNumberCounter, CaseParty
    from accident_online.models.partner import InsurerCode, Partner
    from accident_online.models.webhook import WebhookMessage
    from accident_online.webhooks.outbox import new_message_id

    def table(model: Any) -> Table:
        found: Table = model.__table__
        return found

    cases, parties, events = table(Case), table(CaseParty), table(CaseEvent)
    keys, counters, messages = (
        table(IdempotencyKey),
        table(CaseNumberCounter),
        table(WebhookMessage),
    )
    codes, partners = table(InsurerCode), table(Partner)
    insert = pg_insert if backend == "postgresql" else sqlite_insert
    writer = engine.execution_options(**{WRITE_OPTION: True})
    make = ReportPosts("", 50_000_000)  # the token is not used here
    statements = 0

    async def file_one(n: int) -> None:
        nonlocal statements
        statements = 0
        request = make(n)
        key = dict(request.headers)["Idempotency-Key"]
        now = datetime.now(UTC)
        report = ReportCreate.model_validate_json(request.body)
        fingerprint = hashlib.sha256(request.body).hexdigest()
        async with writer.begin() as connection:
            claimed = await connection.execute(
                insert(keys)
                .values(
                    client="partner:app-bench",
                    key=key,
                    method="POST",
                    path="/v1/reports",
                    request_hash=fingerprint,
                    locked_until=now + timedelta(seconds=60),
                    created_at=now,
                    expires_at=now + timedelta(hours=24),
                )
                .on_conflict_do_nothing()
            )
            assert claimed.rowcount == 1
        async with writer.begin() as connection:
            await connection.execute(
                select(cases.c.center_id, func.count())
                .where(cases.c.status == "queued")
                .group_by(cases.c.center_id)
            )
            insurers = dict(
                (
                    await connection.execute(
                        select(codes.c.code, codes.c.partner_id)
                        .join(partners, partners.c.id == codes.c.partner_id)
                        .where(codes.c.code.in_([p.compulsory.insurer for p in report.parties]))
                    )
                ).all()
            )
            day = now.strftime("%Y%m%d")
            serial = (
                await connection.execute(
                    insert(counters)
                    .values(day=day, last=1)
                    .on_conflict_do_update(
                        index_elements=[counters.c.day], set_={"last": counters.c.last + 1}
                    )
                    .returning(counters.c.last)
                )
            ).scalar_one()
            case_id = uuid.uuid4()
            number = f"LC{day}-{serial:04d}"
            await connection.execute(
                cases.insert().values(
                    id=case_id,
                    number=number,
                    status="awaiting_evidence",
                    version=3,
                    last_event_seq=2,
                    center_id="dongchangfu",
                    home_center_id="dongchangfu",
                    routing_reason="jurisdiction",
                    filed_by_partner_id="app-bench",
                    occurred_at=report.occurred_at,
                    reported_at=now,
                    updated_at=now,
                    latitude=report.location.lat,
                    longitude=report.location.lon,
                    address=report.location.address,
                    district=report.location.district,
                    description=report.description,
                    requested_evidence=[],
                    confirmations=[],
                    receipts=[],
                    revoked_decisions=[],
                    weather=report.weather.value,
                    accident_form=report.accident_form.value,
                    eligibility_answers=report.model_dump(include={"injuries", "deliberate"}),
                    agreed_liability=[a.model_dump(mode="json") for a in report.agreed_liability]
                    if report.agreed_liability
                    else None,
                )
            )
            await connection.execute(
                parties.insert().values(
                    [
                        {
                            "case_id": case_id,
                            "index": i,
                            "name": p.name,
                            "phone": p.phone,
                            "id_number": p.id_number,
                            "licence_number": p.licence_number,
                            "plate": p.plate,
                            "vehicle_type": p.vehicle_type,
                            "insurer_code": p.compulsory.insurer,
                            "insurer_partner_id": insurers.get(p.insurer),
                            "policy_number": p.compulsory.policy_number,
                        }
                        for i, p in enumerate(report.parties)
                    ]
                )
            )
            await connection.execute(
                events.insert().values(
                    [
                        {
                            "case_id": case_id,
                            "seq": 1,
                            "type": "case.reported",
                            "at": now,
                            "actor": "partner:app-bench",
                            "data": {"number": number},
                        },
                        {
                            "case_id": case_id,
                            "seq": 2,
                            "type": "case.routed",
                            "at": now,
                            "actor": "system",
                            "data": {"center_id": "dongchangfu"},
                        },
                    ]
                )
            )
            body = json.dumps({"type": "case.reported", "data": {"case_id": str(case_id)}})
            await connection.execute(
                messages.insert().values(
                    [
                        {
                            "id": new_message_id(),
                            "partner_id": partner,
                            "body": body,
                            "event_type": "case.reported",
                            "case_id": str(case_id),
                            "case_version": 3,
                            "status": "pending",
                            "attempts": 0,
                            "created_at": now,
                            "next_attempt_at": now,
                        }
                        for partner in ("app-bench", *insurers.values())
                    ]
                )
            )
            answer = report.model_dump_json()
            await connection.execute(
                update(keys)
                .where(keys.c.client == "partner:app-bench", keys.c.key == key)
                .values(response_status=201, response_body=answer, response_headers={})
            )
        statements = 10

    for n in range(30):
        await file_one(n)
    started, cpu = time.perf_counter(), time.process_time()
    for n in range(30, 30 + reports):
        await file_one(n)
    return {
        "ms": (time.perf_counter() - started) / reports * 1000,
        "cpu_ms": (time.process_time() - cpu) / reports * 1000,
        "statements": statements,
    }


async def profile(backend: str, url: str, reports: int, *, use_cprofile: bool) -> str | None:
    """Prints the figures and the profile; returns pyinstrument's HTML page, if it ran."""
    from sqlalchemy import event

    from accident_online.app import create_app
    from accident_online.kit.passwords import configure_hashing
    from accident_online.settings import Settings

    settings = Settings(
        database_url=url,
        jwt_secret=JWT_SECRET,  # type: ignore[arg-type]
        log_level="WARNING",
        run_delivery_worker=False,
        run_housekeeping=False,
        rate_limit_reports_per_minute=100_000_000,
    )
    app = create_app(settings)
    configure_hashing(time_cost=1, memory_kib=1024)
    from accident_online.auth.principal import Principal
    from accident_online.auth.service import issue_access_token
    from accident_online.models.user import Role

    principal = Principal(subject="partner:app-bench", role=Role.app, partner_id="app-bench")
    token = issue_access_token(principal, key=JWT_SECRET, ttl_seconds=3600).access_token
    make = ReportPosts(token=token, offset=0)

    statements: list[str] = []
    transactions = Counter[str]()
    engine = app.state.database.engine.sync_engine

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(normalise_sql(statement))

    @event.listens_for(engine, "commit")
    def _commit(_conn: Any) -> None:
        transactions["commit"] += 1

    @event.listens_for(engine, "rollback")
    def _rollback(_conn: Any) -> None:
        transactions["rollback"] += 1

    n = 0

    async def file_one() -> None:
        nonlocal n
        status, body = await call_asgi(app, make(n))
        n += 1
        if status != 201:
            raise RuntimeError(f"HTTP {status}: {body[:500]!r}")

    for _ in range(30):  # warm-up: imports, statement caches, pools
        await file_one()

    statements.clear()
    transactions.clear()
    await file_one()
    print(
        f"\n-- {backend}: SQL of one report ({len(statements)} statements, "
        f"{transactions['commit']} commits, {transactions['rollback']} rollbacks) --"
    )
    for statement, count in Counter(statements).most_common():
        print(f"  {count} x {statement}")
    print(
        "  and, straight on the driver (not seen above): the report's writes as one batch "
        "(kit.db.execute_batch)"
        + (", and the day's case-number counter" if backend == "postgresql" else "")
    )
    # The counting costs time of its own; the figures below are taken without it.
    event.remove(engine, "before_cursor_execute", _count)
    event.remove(engine, "commit", _commit)
    event.remove(engine, "rollback", _rollback)

    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(reports):
        await file_one()
    per_report = (time.perf_counter() - started) / reports * 1000
    cpu_per_report = (time.process_time() - cpu) / reports * 1000
    health = Get("/healthz")
    for _ in range(200):
        await call_asgi(app, health(0))
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(2000):
        await call_asgi(app, health(0))
    per_health = (time.perf_counter() - started) / 2000 * 1000
    cpu_per_health = (time.process_time() - cpu) / 2000 * 1000
    print(
        f"\n-- {backend}, in-process, one at a time, no profiler --\n"
        f"  POST /v1/reports: {per_report:.2f} ms per report ({cpu_per_report:.2f} ms CPU)\n"
        f"  GET /healthz:     {per_health:.3f} ms per request ({cpu_per_health:.3f} ms CPU)\n"
        f"  healthz / intake time: {per_report / per_health:.0f}x"
    )
    floor = await core_floor(app.state.database.engine, backend, reports)
    print(
        f"  the same rows with SQLAlchemy Core ({floor['statements']} statements, 2 "
        f"transactions, body validated, answer serialised): {floor['ms']:.2f} ms per report "
        f"({floor['cpu_ms']:.2f} ms CPU)"
    )

    if not use_cprofile and importlib.util.find_spec("pyinstrument") is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005, async_mode="enabled")
        profiler.start()
        for _ in range(reports):
            await file_one()
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        page: str | None = profiler.output_html()
    else:
        cprofile = cProfile.Profile()
        cprofile.enable()
        for _ in range(reports):
            await file_one()
        cprofile.disable()
        out = io.StringIO()
        stats = pstats.Stats(cprofile, stream=out)
        stats.sort_stats("tottime").print_stats(35)
        stats.sort_stats("cumulative").print_stats(60)
        print(out.getvalue())
        page = None
    await app.state.database.dispose()
    return page


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=BACKENDS, default="sqlite")
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML profile here")
    parser.add_argument("--cprofile", action="store_true", help="cProfile instead of pyinstrument")
    args = parser.parse_args()
    with fresh_database(args.backend) as database:
        env = service_env(database)
        migrate_and_seed(env)
        add_partner(env, "app-bench", kind="app", webhook_url=UNUSED_HOOK)
        add_partner(
            env, "picc-bench", kind="insurer", webhook_url=UNUSED_HOOK, insurer_codes=["PICC"]
        )
        add_partner(
            env, "cpic-bench", kind="insurer", webhook_url=UNUSED_HOOK, insurer_codes=["CPIC"]
        )
        # uvloop, as under uvicorn (it picks uvloop when installed, as here).
        page = uvloop.run(
            profile(args.backend, database.url, args.reports, use_cprofile=args.cprofile)
        )
    if args.html is not None and page is not None:
        args.html.write_text(page)
        print(f"HTML profile written to {args.html}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
