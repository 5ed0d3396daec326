"""A benchmark's deployment: a fresh database, the service's environment and command
line, partners, a real server process and tokens for it.

Everything binds and connects to 127.0.0.1 only; every process started here is stopped
here, by its own pid (accident_online_testing.processes).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from machine import POSTGRES, ROOT, kib_to_mib, status_field

from accident_online_testing.databases import sqlite_url, unique_name
from accident_online_testing.processes import ServerProcess

CLI = Path(sys.executable).parent / "accident-online"
JWT_SECRET = "bench-signing-key-" + "x" * 32
BACKENDS = ("sqlite", "postgresql")


@dataclass
class FreshDatabase:
    backend: str
    url: str  # SQLAlchemy URL the service uses
    var_dir: Path


@contextlib.contextmanager
def fresh_database(backend: str) -> Iterator[FreshDatabase]:
    """An empty database (a SQLite file in a temp dir, or a new PostgreSQL one), dropped after."""
    directory = Path(tempfile.mkdtemp(prefix=f"ao-bench-{backend}-"))
    try:
        if backend == "sqlite":
            yield FreshDatabase(backend, sqlite_url(directory, unique_name("ao_bench")), directory)
        else:
            with POSTGRES.database_blocking("ao_bench") as url:
                yield FreshDatabase(backend, url, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def service_env(database: FreshDatabase, **overrides: str) -> dict[str, str]:
    """The environment every command and server of one benchmark run gets."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("ACCIDENT_ONLINE_")
    }
    env.update(
        {
            "ACCIDENT_ONLINE_DATABASE_URL": database.url,
            "ACCIDENT_ONLINE_VAR_DIR": str(database.var_dir / "var"),
            "ACCIDENT_ONLINE_JWT_SECRET": JWT_SECRET,
            "ACCIDENT_ONLINE_LOG_LEVEL": "WARNING",
            "ACCIDENT_ONLINE_RUN_DELIVERY_WORKER": "false",
            "ACCIDENT_ONLINE_RATE_LIMIT_REPORTS_PER_MINUTE": "100000000",
            "ACCIDENT_ONLINE_RATE_LIMIT_SIGN_IN_PER_MINUTE": "100000",
        }
    )
    env.update(overrides)
    return env


def env_of(tree: Path, env: dict[str, str]) -> dict[str, str]:
    """The environment of ``accident-online`` run from a source tree: this checkout's, or
    another tree's sources (a ``git worktree`` of an earlier commit, bench/ab_intake.py),
    which the same venv's command imports first through PYTHONPATH."""
    return env if tree == ROOT else {**env, "PYTHONPATH": str(tree / "src")}


def run_cli(
    args: Sequence[str], env: dict[str, str], *, stdin: str | None = None, tree: Path = ROOT
) -> str:
    """Runs ``accident-online ARGS``; returns its standard output, fails loudly."""
    result = subprocess.run(  # noqa: S603 (our own executable, fixed arguments)
        [str(CLI), *args],
        env=env_of(tree, env),
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        cwd=tree,
    )
    if result.returncode != 0:
        raise RuntimeError(f"accident-online {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def migrate_and_seed(env: dict[str, str], *, tree: Path = ROOT) -> None:
    run_cli(["migrate"], env, tree=tree)
    run_cli(["seed"], env, tree=tree)


def add_partner(
    env: dict[str, str],
    partner_id: str,
    *,
    kind: str,
    webhook_url: str | None = None,
    insurer_codes: Sequence[str] = (),
    tree: Path = ROOT,
) -> dict[str, Any]:
    args = ["partners", "add", partner_id, "--kind", kind, "--name", f"bench {partner_id}"]
    if webhook_url:
        args += ["--webhook-url", webhook_url]
    for code in insurer_codes:
        args += ["--insurer-code", code]
    created: dict[str, Any] = json.loads(run_cli(args, env, tree=tree))
    return created


class Server(ServerProcess):
    """``accident-online serve`` (uvicorn, one worker) on a free loopback port, ready once
    ``/healthz`` answers, with its memory as /proc reports it."""

    def __init__(self, env: dict[str, str], log_path: Path, *, tree: Path = ROOT) -> None:
        super().__init__(env_of(tree, env), log_path, ready_path="/healthz", cwd=tree)

    def peak_rss_mib(self) -> float:
        return kib_to_mib(status_field(self.pid, "VmHWM"))

    def rss_mib(self) -> float:
        return kib_to_mib(status_field(self.pid, "VmRSS"))


def token_for_client(base_url: str, client_id: str, client_secret: str) -> str:
    response = httpx.post(
        f"{base_url}/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        },
        timeout=30,
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def token_for_user(base_url: str, username: str, password: str) -> str:
    response = httpx.post(
        f"{base_url}/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
        timeout=30,
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token
