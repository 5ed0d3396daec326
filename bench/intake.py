"""Report intake against a real server, with the same server's /healthz as the yardstick.

For each backend (SQLite, PostgreSQL): a fresh database, migrated and seeded by the
``accident-online`` command; an app partner and two insurers with webhook URLs (so every
report writes its outbox rows too); one ``accident-online serve`` process (uvicorn, one
worker) on a free loopback port. Then, at each concurrency: ``GET /healthz``, then
``POST /v1/reports`` with a realistic two-party body, a new Idempotency-Key and new
plates per request. Each measurement has a short warm-up that is not counted.

    .venv/bin/python bench/intake.py                  # both backends, 16 and 64 connections
    .venv/bin/python bench/intake.py --backend sqlite --seconds 10
    .venv/bin/python bench/intake.py --client httpx   # cross-check the load generator

Also measured, at each concurrency: ``POST /v1/eligibility`` with the same body (the
same authentication, validation and centers read, nothing written), the most intake
could reach on this server.

Goal (issue 6): intake >= 0.15 x healthz on each backend; p99 <= 100 ms at 16
connections; no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path
from typing import Any

from deployment import (
    BACKENDS,
    Server,
    add_partner,
    fresh_database,
    migrate_and_seed,
    service_env,
    token_for_client,
)
from load import LoadResult, run_load
from machine import PostgresWaits, describe_machine, format_table, print_machine, write_results
from request_factories import Get, ReportPosts

GOAL_RATIO = 0.15
GOAL_P99_MS = 100.0
# Where the outbox rows point; nothing is sent (the API runs no delivery worker here).
UNUSED_HOOK = "http://127.0.0.1:9/hooks"


def count_rows(url: str) -> dict[str, int]:
    """Cases, parties, events, outbox rows and idempotency keys now stored."""
    from sqlalchemy import func, select, table

    from accident_online.kit.db import create_engine

    names = ("cases", "case_parties", "case_events", "webhook_messages", "idempotency_keys")

    async def count() -> dict[str, int]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return {
                    name: int(
                        (
                            await connection.execute(select(func.count()).select_from(table(name)))
                        ).scalar_one()
                    )
                    for name in names
                }
        finally:
            await engine.dispose()

    return asyncio.run(count())


def bench_backend(
    backend: str,
    *,
    seconds: float,
    connection_counts: list[int],
    client: str,
    generators: int,
    pool_size: int | None,
) -> dict[str, Any]:
    print(f"\n== {backend} ==", flush=True)
    with fresh_database(backend) as database:
        overrides = (
            {} if pool_size is None else {"ACCIDENT_ONLINE_DATABASE_POOL_SIZE": str(pool_size)}
        )
        env = service_env(database, **overrides)
        migrate_and_seed(env)
        app = add_partner(env, "app-bench", kind="app", webhook_url=UNUSED_HOOK)
        add_partner(
            env, "picc-bench", kind="insurer", webhook_url=UNUSED_HOOK, insurer_codes=["PICC"]
        )
        add_partner(
            env, "cpic-bench", kind="insurer", webhook_url=UNUSED_HOOK, insurer_codes=["CPIC"]
        )
        log = Path(database.var_dir) / "server.log"
        results: dict[str, Any] = {"backend": backend, "runs": []}
        with Server(env, log) as server:
            token = token_for_client(server.base_url, app["client_id"], app["client_secret"])
            offset = 0
            for connections in connection_counts:

                def measure(
                    factory_for: Any, expect: frozenset[int], *, n: int = connections
                ) -> LoadResult:
                    result = run_load(
                        port=server.port,
                        server_pid=server.pid,
                        connections=n,
                        seconds=seconds,
                        factory_for=factory_for,
                        expect=expect,
                        client=client,
                        generators=generators,
                    )
                    server.check_alive()
                    return result

                health = measure(lambda _: Get("/healthz"), frozenset({200}))
                report(f"{backend} GET /healthz", health)

                def reports_for(index: int, base: int = offset) -> ReportPosts:
                    return ReportPosts(token=token, offset=base + index * 5_000_000)

                waits = (
                    PostgresWaits(database.url.rsplit("/", 1)[1])
                    if backend == "postgresql"
                    else contextlib.nullcontext()
                )
                with waits:
                    intake = measure(reports_for, frozenset({201}))
                offset += 10_000_000
                report(f"{backend} POST /v1/reports", intake)
                ratio = intake.throughput / health.throughput
                print(f"  intake / healthz = {ratio:.3f} (goal >= {GOAL_RATIO})", flush=True)

                def checks_for(index: int, base: int = offset) -> ReportPosts:
                    return ReportPosts(
                        token=token, offset=base + index * 5_000_000, path="/v1/eligibility"
                    )

                # The same body through the same route machinery (auth, validation, the
                # centers read, the answer) with nothing written: what intake costs before
                # its writes, and so the most it could reach.
                checks = measure(checks_for, frozenset({200}))
                report(f"{backend} POST /v1/eligibility", checks)
                print(
                    f"  eligibility / healthz = {checks.throughput / health.throughput:.3f}",
                    flush=True,
                )
                run: dict[str, Any] = {
                    "connections": connections,
                    "healthz": health.summary(),
                    "intake": intake.summary(),
                    "eligibility": checks.summary(),
                    "ratio": round(ratio, 3),
                }
                if isinstance(waits, PostgresWaits):
                    run["postgres_backends_waiting"] = waits.average()
                    print(f"  PostgreSQL backends by state (average): {waits.average()}")
                results["runs"].append(run)
            results["server_peak_rss_mib"] = round(server.peak_rss_mib(), 1)
        results["rows"] = count_rows(database.url)
        print(f"  server peak RSS (VmHWM): {results['server_peak_rss_mib']} MiB", flush=True)
        print(f"  rows stored: {results['rows']}", flush=True)
        return results


def report(label: str, result: LoadResult) -> None:
    s = result.summary()
    print(
        f"  {label:28} c={s['connections']:>3} {s['throughput_per_s']:>8.1f}/s "
        f"p50 {s['p50_ms']:>7.2f} ms  p99 {s['p99_ms']:>7.2f} ms  errors {s['errors']}  "
        f"cpu: server {s['server_cpu_share_of_core']:.2f} generator "
        f"{s['generator_cpu_share_of_core']:.2f} machine {s['machine_busy_share']:.2f}",
        flush=True,
    )
    if result.first_error:
        print(f"    first error: {result.first_error}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--seconds", type=float, default=15.0, help="per measurement")
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    parser.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="raw asyncio streams (default) or one httpx client per connection",
    )
    parser.add_argument("--generators", type=int, default=1, help="load generator processes")
    parser.add_argument(
        "--pool-size",
        type=int,
        help="the server's ACCIDENT_ONLINE_DATABASE_POOL_SIZE (default: the service's, 10)",
    )
    args = parser.parse_args()

    machine = describe_machine()
    print_machine(machine)
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    runs = []
    for backend in backends:
        runs.append(
            bench_backend(
                backend,
                seconds=args.seconds,
                connection_counts=args.connections,
                client=args.client,
                generators=args.generators,
                pool_size=args.pool_size,
            )
        )

    rows = []
    met = True
    for result in runs:
        for run in result["runs"]:
            intake, health = run["intake"], run["healthz"]
            ok = run["ratio"] >= GOAL_RATIO and intake["errors"] == 0
            if run["connections"] == 16:
                ok = ok and intake["p99_ms"] <= GOAL_P99_MS
            met = met and ok
            rows.append(
                {
                    "backend": result["backend"],
                    "conns": run["connections"],
                    "healthz/s": health["throughput_per_s"],
                    "intake/s": intake["throughput_per_s"],
                    "ratio": run["ratio"],
                    "eligibility/s": run["eligibility"]["throughput_per_s"],
                    "p50 ms": intake["p50_ms"],
                    "p99 ms": intake["p99_ms"],
                    "errors": intake["errors"],
                    "peak RSS MiB": result["server_peak_rss_mib"],
                    "goal": "met" if ok else "NOT met",
                }
            )
    print()
    print(format_table(rows, list(rows[0])))
    path = write_results(
        "intake",
        {"machine": machine, "args": vars(args), "backends": runs},
    )
    print(f"\nfigures kept in {path}")
    print("all intake goals met" if met else "some intake goals NOT met (see the table)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
