"""The officer's path with 100,000 stored cases versus a nearly empty database.

For each backend (SQLite, PostgreSQL): a fresh database, migrated and seeded; an app
partner, an insurer and an officer of 东昌府 made with the ``accident-online`` command;
a few hundred queued cases spread over the nine centers (bulk SQL). One
``accident-online serve`` process measures, one request at a time and then at 16
connections:

- ``GET /v1/centers/dongchangfu/queue`` (the first page, 50 cases);
- ``GET /v1/cases/{id}`` cycling through that center's queued cases.

Then the rest of the 100,000 cases go in with bulk SQL (SQLAlchemy Core executemany on
the models' own tables: cases, case_parties, case_events, evidence, case_responses),
almost all of them finished (decided, accepted, closed, referred) as in real life, and
the same requests are measured again on the same server. On PostgreSQL the tables are
ANALYZEd after the load, as autovacuum would within a minute or two (``--no-analyze``
measures before any statistics exist); SQLite gets nothing, as the service never runs
ANALYZE. Finally the SQL statements per request are counted in-process, for both sizes,
to show there is no N+1.

    .venv/bin/python bench/officer_path.py
    .venv/bin/python bench/officer_path.py --backend sqlite --cases 20000 --seconds 5

Goal (issue 6): with 100,000 cases within 1.5x the time on the empty database.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvloop
from deployment import (
    BACKENDS,
    JWT_SECRET,
    FreshDatabase,
    Server,
    add_partner,
    fresh_database,
    migrate_and_seed,
    run_cli,
    service_env,
    token_for_user,
)
from load import LoadResult, Request, call_asgi, run_load
from machine import describe_machine, format_table, print_machine, write_results
from request_factories import Get, RotatingGet

from accident_online.intake.schemas import EXAMPLE_REPORT

GOAL_RATIO = 1.5
OFFICER = "officer.bench"
OFFICER_PASSWORD = "bench-officer-password"  # noqa: S105 (a throwaway account)
CENTER = "dongchangfu"
QUEUED_CASES = 300
CHUNK = 5_000

# Where finished cases end up, roughly as in the city's statistics: most settle with
# the insurers, some are referred offline, a few go to mediation or court.
STATUS_WEIGHTS = {
    "closed": 62,
    "accepted": 12,
    "decided": 6,
    "referred_offline": 10,
    "awaiting_evidence": 7,
    "in_mediation": 2,
    "in_litigation": 1,
}
# 东昌府 (the city center, open around the clock) gets the most.
CENTER_WEIGHT = {"dongchangfu": 4}

# The ten eligibility answers of an eligible report, as in the docs' example.
ANSWERS = {name: value for name, value in EXAMPLE_REPORT.items() if isinstance(value, bool)}


@dataclass
class Centers:
    ids: list[str]
    district_of: dict[str, str]

    def pick(self, rng: random.Random) -> str:
        weights = [CENTER_WEIGHT.get(c, 1) for c in self.ids]
        return rng.choices(self.ids, weights)[0]


class CaseFactory:
    """Rows for the bulk load: a case, its two parties, timeline, photos and answers."""

    def __init__(self, centers: Centers, *, seed: int = 6) -> None:
        self.centers = centers
        self.rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
        self.now = datetime.now(UTC)
        self.serial_by_day: Counter[str] = Counter()

    def rows(self, status: str, center_id: str | None = None) -> dict[str, list[dict[str, Any]]]:
        rng = self.rng
        center = center_id or self.centers.pick(rng)
        case_id = uuid.uuid4()
        # Queued cases are from the last hours; decided ones still within their 72-hour
        # response window (else housekeeping would answer for them during the run);
        # finished ones from the past year.
        if status == "queued":
            reported = self.now - timedelta(minutes=rng.uniform(5, 600))
        elif status == "decided":
            reported = self.now - timedelta(hours=rng.uniform(2, 48))
        else:
            reported = self.now - timedelta(days=rng.uniform(2, 365))
        day = reported.strftime("%Y%m%d")
        self.serial_by_day[day] += 1
        events = ["case.reported", "case.routed"] + ["evidence.added"] * 5
        queued_at = decided_at = closed_at = None
        decision = resolution = referral = None
        if status != "awaiting_evidence":
            queued_at = reported + timedelta(minutes=rng.uniform(3, 15))
            events.append("case.queued")
        if status not in ("awaiting_evidence", "queued"):
            events.append("case.claimed")
        if status == "referred_offline":
            closed_at = queued_at + timedelta(minutes=rng.uniform(5, 60))  # type: ignore[operator]
            referral = "双方对事实陈述不一致，转现场处理。"
            events.append("case.referred_offline")
        elif status in ("decided", "accepted", "closed", "in_mediation", "in_litigation"):
            decided_at = queued_at + timedelta(minutes=rng.uniform(5, 60))  # type: ignore[operator]
            decision = {
                "liabilities": [
                    {"party": 0, "grade": "none", "share_percent": 0},
                    {"party": 1, "grade": "full", "share_percent": 100},
                ],
                "facts": "乙车变道未让直行车辆。",
                "legal_basis": "《道路交通安全法实施条例》第四十四条",
                "center_id": center,
                "decided_at": decided_at.isoformat(),
                "agreement": "confirmed",
                "document": "quick_handling_agreement",
            }
            events.append("case.decided")
            if status in ("accepted", "closed"):
                resolution = "insurer_claim"
                events += ["case.responded", "case.responded", "case.accepted"]
            if status == "closed":
                closed_at = decided_at + timedelta(days=rng.uniform(1, 20))
                events.append("case.closed")
            if status == "in_mediation":
                resolution = "mediation"
                events += ["case.responded", "case.responded", "case.disputed"]
            if status == "in_litigation":
                resolution = "litigation"
                events += ["case.responded", "case.responded", "case.disputed"]
        at = reported
        timeline = []
        for seq, kind in enumerate(events, start=1):
            timeline.append(
                {
                    "case_id": case_id,
                    "seq": seq,
                    "type": kind,
                    "at": at,
                    "actor": "partner:app-bench",
                    "data": {"seq": seq},
                }
            )
            at += timedelta(seconds=30)
        case = {
            "id": case_id,
            "number": f"LC{day}-{self.serial_by_day[day]:04d}",
            "status": status,
            "version": len(events) + 1,
            "last_event_seq": len(events),
            "center_id": center,
            "home_center_id": center,
            "routing_reason": "jurisdiction",
            "filed_by_partner_id": "app-bench",
            "occurred_at": reported - timedelta(minutes=20),
            "reported_at": reported,
            "queued_at": queued_at,
            "decided_at": decided_at,
            "closed_at": closed_at,
            "updated_at": at,
            "latitude": 36.45 + rng.uniform(-0.1, 0.1),
            "longitude": 115.98 + rng.uniform(-0.1, 0.1),
            "address": "山东省聊城市东昌府区东昌路与柳园路交叉口",
            "district": self.centers.district_of[center],
            "description": "甲车直行，乙车变道时与甲车右前侧发生刮擦，双方车辆均可移动。",
            "eligibility_answers": ANSWERS,
            "agreed_liability": [{"party": 0, "grade": "none"}, {"party": 1, "grade": "full"}],
            "requested_evidence": [],
            "evidence_request_message": None,
            "assigned_officer_id": None,
            "claim_expires_at": None,
            "decision": decision,
            "determination_requested": False,
            "confirmations": [
                {
                    "party": party,
                    "method": "sms_code",
                    "confirmed_at": reported.isoformat(),
                    "recorded_at": reported.isoformat(),
                }
                for party in (0, 1)
            ],
            "determination_due_at": reported + timedelta(days=3),
            "receipts": [],
            "review": None,
            "review_due_at": None,
            "revoked_decisions": [],
            "final_at": None,
            "resolution": resolution,
            "referral_reason": referral,
        }
        parties = [
            {
                "case_id": case_id,
                "index": index,
                "name": name,
                "phone": phone,
                "id_number": id_number,
                "licence_number": id_number,
                "plate": f"鲁P{rng.randrange(10_000, 99_999)}",
                "vehicle_type": "小型轿车",
                "insurer_code": insurer,
                "insurer_partner_id": "picc-bench" if insurer == "PICC" else None,
                "policy_number": f"P{rng.randrange(10**12, 10**13)}",
                "commercial_third_party_cover": None,
                "assessed_loss": None,
                "paid_amount": None,
            }
            for index, (name, phone, id_number, insurer) in enumerate(
                [
                    ("张伟", "13805350001", "371502199001011234", "PICC"),
                    ("李娜", "15965350002", "371521198507152346", "CPIC"),
                ]
            )
        ]
        photos = [("overview_front", None), ("overview_rear", None), ("collision_point", None)]
        photos += [("plate", 0), ("plate", 1)]
        evidence = [
            {
                "id": uuid.uuid4(),
                "case_id": case_id,
                "kind": kind,
                "party": party,
                "sha256": f"{rng.getrandbits(256):064x}",
                "content_type": "image/jpeg",
                "size": rng.randrange(200_000, 3_000_000),
                "filename": f"{kind}.jpg",
                "uploaded_at": reported + timedelta(minutes=1),
            }
            for kind, party in photos
        ]
        responses = []
        if resolution is not None:
            responses = [
                {
                    "case_id": case_id,
                    "party": party,
                    "resolution": resolution,
                    "answered_at": (decided_at or reported) + timedelta(hours=2),
                }
                for party in (0, 1)
            ]
        return {
            "cases": [case],
            "case_parties": parties,
            "case_events": timeline,
            "evidence": evidence,
            "case_responses": responses,
        }


def statuses(count: int, rng: random.Random) -> Iterator[str]:
    names = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    for _ in range(count):
        yield rng.choices(names, weights)[0]


async def load_centers(url: str) -> Centers:
    from sqlalchemy import text

    from accident_online.kit.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT id, districts FROM centers"))).all()
    finally:
        await engine.dispose()
    district_of = {}
    for center_id, districts in rows:
        if isinstance(districts, str):
            import json

            districts = json.loads(districts)
        district_of[center_id] = districts[0]
    return Centers(ids=sorted(district_of), district_of=district_of)


async def bulk_insert(url: str, batches: Iterator[dict[str, list[dict[str, Any]]]]) -> int:
    """Inserts the rows chunk by chunk, each chunk in one transaction; returns rows written."""
    from sqlalchemy import Table

    from accident_online.kit.db import create_engine
    from accident_online.models.case import Case, CaseEvent, CaseParty, CaseResponse, Evidence

    tables: dict[str, Table] = {
        model.__tablename__: model.__table__  # type: ignore[attr-defined]
        for model in (Case, CaseParty, CaseEvent, Evidence, CaseResponse)
    }
    engine = create_engine(url)
    written = 0
    try:
        for batch in batches:
            async with engine.begin() as connection:
                for name in ("cases", "case_parties", "case_events", "evidence", "case_responses"):
                    if batch[name]:
                        await connection.execute(tables[name].insert(), batch[name])
                        written += len(batch[name])
    finally:
        await engine.dispose()
    return written


def chunks(
    factory: CaseFactory, kinds: Iterator[tuple[str, str | None]], size: int
) -> Iterator[dict[str, list[dict[str, Any]]]]:
    batch: dict[str, list[dict[str, Any]]] = {}
    count = 0
    for status, center in kinds:
        for name, rows in factory.rows(status, center).items():
            batch.setdefault(name, []).extend(rows)
        count += 1
        if count == size:
            yield batch
            batch, count = {}, 0
    if count:
        yield batch


async def analyze(url: str) -> None:
    from sqlalchemy import text

    from accident_online.kit.db import create_engine

    engine = create_engine(url)
    try:
        # begin(), not connect(): statistics gathered in a rolled-back transaction are lost.
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


async def queued_ids(url: str, center: str) -> list[str]:
    from sqlalchemy import text

    from accident_online.kit.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT id FROM cases WHERE center_id = :c AND status = 'queued'"),
                {"c": center},
            )
            return [str(uuid.UUID(str(row[0]))) for row in rows]
    finally:
        await engine.dispose()


async def in_process(url: str, requests: dict[str, list[Request]]) -> dict[str, Any]:
    """Per request, in-process and one at a time: SQL statements, wall and CPU time.

    Far less noisy than the HTTP figures on a shared machine: it shows whether the
    database's size changes the work a request does.
    """
    from sqlalchemy import event

    from accident_online.app import create_app
    from accident_online.settings import Settings

    settings = Settings(
        database_url=url,
        jwt_secret=JWT_SECRET,  # type: ignore[arg-type]
        log_level="WARNING",
        run_delivery_worker=False,
        run_housekeeping=False,
    )
    app = create_app(settings)
    counted: list[str] = []

    @event.listens_for(app.state.database.engine.sync_engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        counted.append(statement)

    result: dict[str, Any] = {}
    try:
        for name, variants in requests.items():
            for request in variants[:20]:  # warm (and the pool's first connect)
                await call_asgi(app, request)
            counted.clear()
            status, body = await call_asgi(app, variants[0])
            if status != 200:
                raise RuntimeError(f"{name}: HTTP {status} {body[:300]!r}")
            statements = len(counted)
            rounds = 300
            wall, cpu = time.perf_counter(), time.process_time()
            for n in range(rounds):
                await call_asgi(app, variants[n % len(variants)])
            result[name] = {
                "statements": statements,
                "ms": round((time.perf_counter() - wall) / rounds * 1000, 2),
                "cpu_ms": round((time.process_time() - cpu) / rounds * 1000, 2),
            }
    finally:
        await app.state.database.dispose()
    return result


def measure(
    server: Server, label: str, paths: dict[str, list[str]], headers: Any, seconds: float
) -> list[dict[str, Any]]:
    rows = []
    for name, path_list in paths.items():
        for connections in (1, 16):
            result: LoadResult = run_load(
                port=server.port,
                server_pid=server.pid,
                connections=connections,
                seconds=seconds,
                factory_for=lambda _, p=tuple(path_list): (
                    Get(p[0], headers) if len(p) == 1 else RotatingGet(p, headers)
                ),
                warmup=1.0,
            )
            server.check_alive()
            s = result.summary()
            print(
                f"  {label:9} {name:12} c={connections:>2} {s['throughput_per_s']:>8.1f}/s "
                f"p50 {s['p50_ms']:>7.2f} ms  p99 {s['p99_ms']:>7.2f} ms  errors {s['errors']}  "
                f"(server cpu {s['server_cpu_share_of_core']:.2f}, machine "
                f"{s['machine_busy_share']:.2f})",
                flush=True,
            )
            if result.first_error:
                print(f"    first error: {result.first_error}")
            rows.append({"phase": label, "request": name, **s})
    return rows


def bench_backend(
    backend: str, *, total_cases: int, seconds: float, analyze_after_load: bool
) -> dict[str, Any]:
    print(f"\n== {backend} ==", flush=True)
    with fresh_database(backend) as database:
        return _bench(
            database,
            total_cases=total_cases,
            seconds=seconds,
            analyze_after_load=analyze_after_load,
        )


def _bench(
    database: FreshDatabase, *, total_cases: int, seconds: float, analyze_after_load: bool
) -> dict[str, Any]:
    env = service_env(database)
    migrate_and_seed(env)
    add_partner(env, "app-bench", kind="app")
    add_partner(env, "picc-bench", kind="insurer", insurer_codes=["PICC"])
    run_cli(
        ["users", "add", OFFICER, "--role", "officer", "--center", CENTER, "--password-stdin"],
        env,
        stdin=OFFICER_PASSWORD + "\n",
    )
    centers = asyncio.run(load_centers(database.url))
    factory = CaseFactory(centers)
    # The queue: a few hundred cases waiting, spread over the centers.
    queued = [("queued", centers.ids[i % len(centers.ids)]) for i in range(QUEUED_CASES)]
    asyncio.run(bulk_insert(database.url, chunks(factory, iter(queued), CHUNK)))
    ids = asyncio.run(queued_ids(database.url, CENTER))
    paths = {
        "queue": [f"/v1/centers/{CENTER}/queue"],
        "case lookup": [f"/v1/cases/{case_id}" for case_id in ids],
    }
    log = Path(database.var_dir) / "server.log"
    result: dict[str, Any] = {
        "backend": database.backend,
        "queued_cases": QUEUED_CASES,
        "analyzed_after_load": analyze_after_load and database.backend == "postgresql",
    }
    with Server(env, log) as server:
        token = token_for_user(server.base_url, OFFICER, OFFICER_PASSWORD)
        headers = (("Authorization", f"Bearer {token}"),)
        requests = {
            name: [Request("GET", path, headers) for path in path_list]
            for name, path_list in paths.items()
        }
        counts_empty = uvloop.run(in_process(database.url, requests))
        print(f"  in-process, one at a time: {counts_empty}", flush=True)
        rows = measure(server, "empty", paths, headers, seconds)

        rest = total_cases - QUEUED_CASES
        print(f"  loading {rest:,} more cases with bulk SQL ...", flush=True)
        started = time.perf_counter()
        kinds = ((status, None) for status in statuses(rest, factory.rng))
        written = asyncio.run(bulk_insert(database.url, chunks(factory, kinds, CHUNK)))
        load_seconds = time.perf_counter() - started
        if database.backend == "postgresql" and analyze_after_load:
            asyncio.run(analyze(database.url))
        print(
            f"  loaded {written:,} rows in {load_seconds:.0f} s "
            f"({written / load_seconds:,.0f} rows/s)",
            flush=True,
        )
        rows += measure(server, "100k", paths, headers, seconds)
        counts_full = uvloop.run(in_process(database.url, requests))
        print(f"  in-process, one at a time: {counts_full}", flush=True)
        result["server_peak_rss_mib"] = round(server.peak_rss_mib(), 1)
    result["rows_loaded"] = written
    result["load_seconds"] = round(load_seconds, 1)
    result["in_process"] = {"empty": counts_empty, "100k": counts_full}
    result["measurements"] = rows
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--cases", type=int, default=100_000, help="stored cases in all")
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="measure PostgreSQL straight after the load, before any statistics exist",
    )
    args = parser.parse_args()

    machine = describe_machine()
    print_machine(machine)
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    results = [
        bench_backend(
            b, total_cases=args.cases, seconds=args.seconds, analyze_after_load=not args.no_analyze
        )
        for b in backends
    ]

    table = []
    met = True
    for result in results:
        by_key = {(m["phase"], m["request"], m["connections"]): m for m in result["measurements"]}
        for request in ("queue", "case lookup"):
            for connections in (1, 16):
                empty = by_key[("empty", request, connections)]
                full = by_key[("100k", request, connections)]
                ratio = full["p50_ms"] / empty["p50_ms"]
                ok = ratio <= GOAL_RATIO and full["errors"] == 0
                met = met and ok
                table.append(
                    {
                        "backend": result["backend"],
                        "request": request,
                        "conns": connections,
                        "empty p50 ms": empty["p50_ms"],
                        "empty p99 ms": empty["p99_ms"],
                        "100k p50 ms": full["p50_ms"],
                        "100k p99 ms": full["p99_ms"],
                        "100k req/s": full["throughput_per_s"],
                        "p50 ratio": round(ratio, 2),
                        "p99 ratio": round(full["p99_ms"] / empty["p99_ms"], 2),
                        "goal": "met" if ok else "NOT met",
                    }
                )
    print()
    print(format_table(table, list(table[0])))
    steady = []
    for result in results:
        for request in ("queue", "case lookup"):
            measured = result["in_process"]
            empty, full = measured["empty"][request], measured["100k"][request]
            steady.append(
                {
                    "backend": result["backend"],
                    "request": request,
                    "statements": f"{empty['statements']} / {full['statements']}",
                    "empty ms (CPU)": f"{empty['ms']} ({empty['cpu_ms']})",
                    "100k ms (CPU)": f"{full['ms']} ({full['cpu_ms']})",
                    "ratio": round(full["ms"] / empty["ms"], 2),
                }
            )
    print("\nin-process, one request at a time (no HTTP, no load generator):")
    print(format_table(steady, list(steady[0])))
    path = write_results(
        "officer_path", {"machine": machine, "args": vars(args), **{"backends": results}}
    )
    print(f"\nfigures kept in {path}")
    print("all officer-path goals met" if met else "some officer-path goals NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
