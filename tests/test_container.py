"""The Dockerfile and compose.yaml refer only to things that exist.

There is no Docker engine here, so these files cannot be built in CI; this test reads
them and checks every path, command, setting and endpoint they name.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from accident_online.cli import build_parser
from accident_online.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
# Read by accident_online.kit.migrations, not a Settings field: where alembic/ lies.
EXTRA_VARIABLES = {"ACCIDENT_ONLINE_ALEMBIC_DIR"}


def cli_commands() -> set[str]:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    return set(subparsers.choices)  # type: ignore[arg-type]


def setting_variables() -> set[str]:
    return {f"ACCIDENT_ONLINE_{name.upper()}" for name in Settings.model_fields} | EXTRA_VARIABLES


def commands_in(shell: str) -> list[str]:
    """The accident-online subcommands a shell line runs."""
    found = []
    for part in re.split(r"&&|;|\|\|", shell):
        words = [w for w in shlex.split(part) if w != "exec"]
        if words and words[0] == "accident-online":
            found.append(words[1])
    return found


def test_dockerfile_copies_paths_that_exist() -> None:
    sources = []
    for line in DOCKERFILE.splitlines():
        if line.startswith("COPY") and "--from" not in line:
            sources.extend(line.split()[1:-1])
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source


def test_dockerfile_runs_as_non_root_with_a_healthcheck_on_healthz() -> None:
    users = re.findall(r"^USER (\S+)$", DOCKERFILE, re.MULTILINE)
    assert users
    assert users[-1] not in {"root", "0"}
    assert "HEALTHCHECK" in DOCKERFILE
    assert "/healthz" in DOCKERFILE
    assert DOCKERFILE.count("FROM ") >= 2  # multi-stage


def test_dockerfile_migrates_then_serves_with_real_commands() -> None:
    cmd = re.search(r'^CMD \["sh", "-c", "(.+)"\]$', DOCKERFILE, re.MULTILINE)
    assert cmd
    run = commands_in(cmd.group(1))
    assert run[0] == "migrate"
    assert run[-1] == "serve"
    assert set(run) <= cli_commands()


def test_dockerfile_and_compose_set_only_real_settings() -> None:
    named = set(re.findall(r"\b(ACCIDENT_ONLINE_[A-Z_]+)=", DOCKERFILE))
    for service in COMPOSE["services"].values():
        named |= {k for k in service.get("environment", {}) if k.startswith("ACCIDENT_ONLINE_")}
    assert named
    assert named <= setting_variables(), named - setting_variables()


def test_compose_has_postgres_two_api_replicas_and_a_worker() -> None:
    services = COMPOSE["services"]
    apis = [s for s in services.values() if s.get("build") == "." and "command" not in s]
    workers = [
        s for s in services.values() if "worker" in commands_in(" ".join(s.get("command", [])[2:]))
    ]
    assert "postgres" in services
    assert len(apis) == 2
    assert len(workers) == 1
    for service in [*apis, *workers]:
        environment = service["environment"]
        assert environment["ACCIDENT_ONLINE_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert environment["ACCIDENT_ONLINE_ENV"] == "production"
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    for service in services.values():
        for command in commands_in(" ".join(service.get("command", [])[2:])):
            assert command in cli_commands()


def test_compose_puts_a_trusted_reverse_proxy_with_timeouts_in_front_of_the_replicas() -> None:
    services = COMPOSE["services"]
    proxy = services["proxy"]
    assert proxy["image"] == "nginx:stable"
    mount = next(v for v in proxy["volumes"] if v.endswith(":/etc/nginx/nginx.conf:ro"))
    config = (ROOT / mount.split(":")[0]).read_text()
    for directive in ("client_header_timeout", "client_body_timeout"):
        assert re.search(rf"^\s*{directive} \d+s;", config, re.MULTILINE), directive
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in config
    apis = {name for name, s in services.items() if s.get("build") == "." and "command" not in s}
    for api in apis:
        assert f"server {api}:8000" in config
    address = proxy["networks"]["internal"]["ipv4_address"]
    import json

    for api in apis:
        environment = services[api]["environment"]
        assert json.loads(environment["ACCIDENT_ONLINE_TRUSTED_PROXIES"]) == [f"{address}/32"]
        assert environment["ACCIDENT_ONLINE_REDIS_URL"].startswith("redis://redis:")
        Settings(**{"trusted_proxies": json.loads(environment["ACCIDENT_ONLINE_TRUSTED_PROXIES"])})
    assert services["redis"]["healthcheck"]
