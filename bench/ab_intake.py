"""Report intake, an earlier commit (A) against this tree (B), side by side in one run.

A is a ``git worktree`` of ``--ref`` (checked out in a temp dir, removed at the end), run
by this venv's Python with its own sources; B is this checkout. For each backend, each
side gets its own fresh database (migrated and seeded by its own code), the partners of
bench/intake.py, and its own ``accident-online serve`` process; both servers stay up
while short rounds of ``POST /v1/reports`` alternate between them (A B B A A B …), so
that whatever else loads the machine falls on both alike. The figures are the median of
the rounds.

    .venv/bin/python bench/ab_intake.py --ref main
    .venv/bin/python bench/ab_intake.py --ref 1c3b6fc --rounds 3 --seconds 10

Where the request body changed between the two, ``--body-from a`` sends A's example report
to both, and ``--b-ref`` with ``--b-patch`` measures an older commit with one change
applied (the issue-12 A/B of docs/BENCHMARKS.md §6):

    .venv/bin/python bench/ab_intake.py --ref 1c3b6fc --b-ref 07a8f07 \
        --b-patch bench/patches/new-row-on-07a8f07.patch --body-from a

Goal (issue 12): B >= 0.9 x A in reports/s on each backend, p99 <= 100 ms at 16
connections, no errors.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from deployment import (
    BACKENDS,
    Server,
    add_partner,
    env_of,
    fresh_database,
    migrate_and_seed,
    service_env,
    token_for_client,
)
from load import LoadResult, run_load
from machine import ROOT, describe_machine, format_table, print_machine, write_results
from request_factories import ReportPosts

from intake import UNUSED_HOOK, report

GOAL_RATIO = 0.9
GOAL_P99_MS = 100.0


@contextlib.contextmanager
def worktree_of(ref: str, patch: Path | None = None) -> Iterator[tuple[Path, str]]:
    """A detached ``git worktree`` of ``ref`` in a temp dir (``patch`` applied to it), and
    the commit it is."""
    commit = subprocess.run(  # noqa: S603 (git, fixed arguments)
        ["git", "rev-parse", "--short", f"{ref}^{{commit}}"],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    path = Path(tempfile.mkdtemp(prefix="ao-bench-a-")) / "tree"
    subprocess.run(  # noqa: S603
        ["git", "worktree", "add", "--detach", str(path), commit],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    if patch is not None:
        subprocess.run(  # noqa: S603
            ["git", "apply", str(patch.resolve())],  # noqa: S607
            cwd=path,
            check=True,
        )
        commit = f"{commit} + {patch.name}"
    try:
        yield path, commit
    finally:
        subprocess.run(  # noqa: S603
            ["git", "worktree", "remove", "--force", str(path)],  # noqa: S607
            cwd=ROOT,
            check=False,
            capture_output=True,
        )


@contextlib.contextmanager
def side(backend: str, tree: Path, overrides: dict[str, str]) -> Iterator[tuple[Server, str]]:
    """One side's database, partners and server; the server and the app's token."""
    with fresh_database(backend) as database:
        env = service_env(database, **overrides)
        migrate_and_seed(env, tree=tree)
        app = add_partner(env, "app-bench", kind="app", webhook_url=UNUSED_HOOK, tree=tree)
        for partner, code in (("picc-bench", "PICC"), ("cpic-bench", "CPIC")):
            add_partner(
                env,
                partner,
                kind="insurer",
                webhook_url=UNUSED_HOOK,
                insurer_codes=[code],
                tree=tree,
            )
        with Server(env, Path(database.var_dir) / "server.log", tree=tree) as server:
            yield server, token_for_client(server.base_url, app["client_id"], app["client_secret"])


def example_report_of(tree: Path) -> dict[str, Any]:
    """The example report of the API docs as ``tree``'s code has it."""
    code = (
        "import json; from accident_online.intake.schemas import EXAMPLE_REPORT as r; "
        "print(json.dumps(r, ensure_ascii=False))"
    )
    out = subprocess.run(  # noqa: S603 (this venv's Python, fixed code)
        [sys.executable, "-c", code],
        env=env_of(tree, dict(os.environ)),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    example: dict[str, Any] = json.loads(out)
    return example


def order(rounds: int) -> list[str]:
    """A B, B A, A B, …: each side goes first as often as the other."""
    pairs = [("A", "B") if n % 2 == 0 else ("B", "A") for n in range(rounds)]
    return [name for pair in pairs for name in pair]


def bench_backend(
    backend: str,
    *,
    a_tree: Path,
    b_tree: Path,
    a_env: dict[str, str],
    b_env: dict[str, str],
    rounds: int,
    seconds: float,
    connections: int,
    example: dict[str, Any] | None,
) -> dict[str, Any]:
    print(f"\n== {backend} ==", flush=True)
    measured: dict[str, list[LoadResult]] = {"A": [], "B": []}
    with side(backend, a_tree, a_env) as a, side(backend, b_tree, b_env) as b:
        sides = {"A": a, "B": b}
        offsets = {"A": 0, "B": 0}
        for name in order(rounds):
            server, token = sides[name]

            def reports_for(index: int, base: int = offsets[name], t: str = token) -> ReportPosts:
                return ReportPosts(token=t, offset=base + index * 5_000_000, example=example)

            result = run_load(
                port=server.port,
                server_pid=server.pid,
                connections=connections,
                seconds=seconds,
                factory_for=reports_for,
                expect=frozenset({201}),
            )
            server.check_alive()
            offsets[name] += 10_000_000
            measured[name].append(result)
            report(f"{backend} {name} POST /v1/reports", result)
    summary: dict[str, Any] = {"backend": backend}
    for name, results in measured.items():
        summary[name] = {
            "throughput_per_s": round(statistics.median(r.throughput for r in results), 1),
            "p50_ms": round(statistics.median(r.percentile(50) for r in results), 2),
            "p99_ms": round(statistics.median(r.percentile(99) for r in results), 2),
            "errors": sum(r.errors for r in results),
            "rounds": [r.summary() for r in results],
        }
    summary["ratio"] = round(summary["B"]["throughput_per_s"] / summary["A"]["throughput_per_s"], 3)
    return summary


def environment(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` arguments as a mapping (a setting one side runs with, e.g.
    ``ACCIDENT_ONLINE_RUN_HOUSEKEEPING=false``)."""
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"not KEY=VALUE: {pair!r}")
        env[key] = value
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="main", help="A: the commit to compare against")
    parser.add_argument("--b-ref", help="B: another commit instead of this tree")
    parser.add_argument("--b-patch", type=Path, help="a patch applied to --b-ref's tree")
    parser.add_argument(
        "--body-from",
        choices=["this", "a"],
        default="this",
        help="whose example report both sides get: this tree's or A's",
    )
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side")
    parser.add_argument("--seconds", type=float, default=10.0, help="per round")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--a-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting for A's commands and server only (repeatable)",
    )
    parser.add_argument(
        "--b-env", action="append", default=[], metavar="KEY=VALUE", help="the same for B"
    )
    args = parser.parse_args()
    a_env, b_env = environment(args.a_env), environment(args.b_env)
    if args.b_patch and not args.b_ref:
        parser.error("--b-patch needs --b-ref")

    machine = describe_machine()
    print_machine(machine)
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    with contextlib.ExitStack() as trees:
        a_tree, a_commit = trees.enter_context(worktree_of(args.ref))
        b_tree, b_commit = (
            trees.enter_context(worktree_of(args.b_ref, args.b_patch))
            if args.b_ref
            else (ROOT, "this tree")
        )
        example = example_report_of(a_tree) if args.body_from == "a" else None
        print(f"A: {args.ref} ({a_commit}); B: {args.b_ref or ''} ({b_commit})", flush=True)
        print(f"A settings: {a_env or 'as shipped'}; B settings: {b_env or 'as shipped'}")
        runs = [
            bench_backend(
                backend,
                a_tree=a_tree,
                b_tree=b_tree,
                a_env=a_env,
                b_env=b_env,
                rounds=args.rounds,
                seconds=args.seconds,
                connections=args.connections,
                example=example,
            )
            for backend in backends
        ]

    rows = []
    met = True
    for run in runs:
        a, b = run["A"], run["B"]
        ok = (
            run["ratio"] >= GOAL_RATIO
            and b["p99_ms"] <= GOAL_P99_MS
            and a["errors"] == b["errors"] == 0
        )
        met = met and ok
        rows.append(
            {
                "backend": run["backend"],
                "conns": args.connections,
                "A reports/s": a["throughput_per_s"],
                "A p50 ms": a["p50_ms"],
                "A p99 ms": a["p99_ms"],
                "B reports/s": b["throughput_per_s"],
                "B p50 ms": b["p50_ms"],
                "B p99 ms": b["p99_ms"],
                "B/A": run["ratio"],
                "errors": a["errors"] + b["errors"],
                "goal": "met" if ok else "NOT met",
            }
        )
    print()
    print(format_table(rows, list(rows[0])))
    path = write_results(
        "ab_intake",
        {
            "machine": machine,
            "args": vars(args),
            "a_commit": a_commit,
            "b_commit": b_commit,
            "backends": runs,
        },
    )
    print(f"\nfigures kept in {path}")
    print("all A/B goals met" if met else "some A/B goals NOT met (see the table)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
