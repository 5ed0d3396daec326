"""The ``accident-online`` command: serve, migrate, seed, accounts, partners and evidence."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.evidence.commands import add_evidence_commands
from accident_online.kit.db import hold_setup_lock
from accident_online.kit.migrations import upgrade_to_head
from accident_online.kit.passwords import configure_hashing
from accident_online.kit.problems import AppError
from accident_online.models.partner import PartnerKind
from accident_online.settings import Settings

T = TypeVar("T")


async def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    database = settings.open_database(pool_size=2)
    try:
        async with database.session(write=True) as session:
            return await work(session)
    finally:
        await database.dispose()


async def _migrate(settings: Settings) -> None:
    database = settings.open_database(pool_size=2)
    try:
        await upgrade_to_head(database.engine)
    finally:
        await database.dispose()


async def _seed(session: AsyncSession) -> str | None:
    """Seeds the centers; on the very first run, makes the admin account."""
    from accident_online.auth import repository as auth_repository
    from accident_online.auth.schemas import UserCreate
    from accident_online.auth.service import create_user
    from accident_online.centers.service import seed_default_centers
    from accident_online.models.user import UserRole

    await hold_setup_lock(session)
    await seed_default_centers(session)
    if await auth_repository.any_admin(session):
        return None
    password = secrets.token_urlsafe(18)
    await create_user(
        session,
        UserCreate(
            username="admin", password=password, role=UserRole.admin, display_name="系统管理员"
        ),
    )
    return password


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> int:
    asyncio.run(_migrate(settings))
    print("database migrated to head", file=sys.stderr)
    return 0


def cmd_seed(settings: Settings, _: argparse.Namespace) -> int:
    password = asyncio.run(_in_transaction(settings, _seed))
    if password is not None:
        print("First run: an admin account was made. Its password is shown this once:")
        print(f"username: admin  password: {password}", flush=True)
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import gc

    import uvicorn

    from accident_online.app import create_app
    from accident_online.kit.http_server import header_limits_protocol
    from accident_online.kit.malloc import limit_arenas
    from accident_online.kit.observability import configure_logging

    limit_arenas()  # before any thread of the server's starts (kit/malloc.py)
    configure_logging(level=settings.log_level, json_lines=settings.log_json)
    app = create_app(settings)
    # What is loaded by now (modules, the app, its OpenAPI models) lives as long as the
    # process: keep it out of the collector's full passes, which otherwise walk it again
    # and again and show up as pauses in the tail latency under load.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_config=None,
        access_log=False,
        # The client address behind a proxy comes from RequestContextMiddleware, which
        # believes X-Forwarded-For only from TRUSTED_PROXIES (README, "Security").
        proxy_headers=False,
        # A client may hold a connection only so long: header_timeout_seconds to send
        # its headers, keep_alive_timeout_seconds idle between requests; past
        # max_connections uvicorn answers 503 at once rather than queue without bound.
        http=header_limits_protocol(
            header_timeout=settings.header_timeout_seconds,
            max_header_bytes=settings.max_header_bytes,
        ),
        timeout_keep_alive=settings.keep_alive_timeout_seconds,
        limit_concurrency=settings.max_connections,
        backlog=2048,
    )
    return 0


def cmd_worker(settings: Settings, _: argparse.Namespace) -> int:
    """Delivers webhooks and keeps deadlines until SIGTERM or SIGINT."""
    import signal

    from accident_online.cases.determination_rules import limits_from
    from accident_online.claims.rules import rules_from
    from accident_online.decisions.tasks import run_deadlines
    from accident_online.disputes.tasks import run_claim_deadlines
    from accident_online.kit.background import run_periodically
    from accident_online.kit.observability import configure_logging
    from accident_online.webhooks.tasks import delivery_worker

    configure_logging(level=settings.log_level, json_lines=settings.log_json)

    async def work() -> None:
        database = settings.open_database()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        worker = delivery_worker(database, settings)
        tasks = [asyncio.create_task(worker.run(stop))]
        if settings.run_housekeeping:
            tasks.append(
                asyncio.create_task(
                    run_periodically(
                        "deadlines",
                        lambda: run_deadlines(database, limits_from(settings)),
                        every_seconds=settings.housekeeping_interval_seconds,
                        stop=stop,
                    )
                )
            )
            tasks.append(
                asyncio.create_task(
                    run_periodically(
                        "claims",
                        lambda: run_claim_deadlines(database, rules_from(settings)),
                        every_seconds=settings.housekeeping_interval_seconds,
                        stop=stop,
                    )
                )
            )
        print(f"worker {worker.name} started", file=sys.stderr, flush=True)
        try:
            await asyncio.gather(*tasks)
        finally:
            await database.dispose()
        print(
            f"worker {worker.name} stopped: {worker.delivered} delivered, {worker.failed} failed",
            file=sys.stderr,
            flush=True,
        )

    asyncio.run(work())
    return 0


def cmd_users_add(settings: Settings, args: argparse.Namespace) -> int:
    from accident_online.auth.schemas import UserCreate, UserRead
    from accident_online.auth.service import create_user

    if not args.password_stdin:
        print("error: give the password on standard input with --password-stdin", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\r\n")
    data = UserCreate(
        username=args.username,
        password=password,
        role=args.role,
        center_id=args.center,
        display_name=args.display_name,
        badge_number=args.badge_number,
    )

    async def work(session: AsyncSession) -> UserRead:
        return UserRead.model_validate(await create_user(session, data))

    user = asyncio.run(_in_transaction(settings, work))
    print(user.model_dump_json())
    return 0


def cmd_partners_add(settings: Settings, args: argparse.Namespace) -> int:
    from accident_online.partners.schemas import PartnerCreate
    from accident_online.partners.service import register_partner

    data = PartnerCreate.model_validate(
        {
            "id": args.id,
            "kind": args.kind,
            "name": args.name,
            "webhook_url": args.webhook_url,
            "insurer_codes": args.insurer_code or [],
        }
    )

    async def work(session: AsyncSession) -> str:
        return (
            await register_partner(
                session, data, allow_private_targets=settings.allow_private_webhook_targets
            )
        ).model_dump_json()

    print(asyncio.run(_in_transaction(settings, work)))
    return 0


def cmd_users_disable(settings: Settings, args: argparse.Namespace) -> int:
    """Disables (or, with ``enable``, enables) an account; prints it as JSON."""
    from accident_online.auth.schemas import UserRead
    from accident_online.auth.service import set_user_disabled

    async def work(session: AsyncSession) -> str:
        user = await set_user_disabled(session, args.username, disabled=args.disabled)
        return UserRead.model_validate(user).model_dump_json()

    print(asyncio.run(_in_transaction(settings, work)))
    return 0


def cmd_partners_disable(settings: Settings, args: argparse.Namespace) -> int:
    from accident_online.partners.service import set_partner_disabled

    async def work(session: AsyncSession) -> str:
        partner = await set_partner_disabled(session, args.id, disabled=args.disabled)
        return partner.model_dump_json()

    print(asyncio.run(_in_transaction(settings, work)))
    return 0


def cmd_partners_rotate_client_secret(settings: Settings, args: argparse.Namespace) -> int:
    from accident_online.partners.service import rotate_client_secret

    async def work(session: AsyncSession) -> str:
        return (await rotate_client_secret(session, args.id)).model_dump_json()

    print(asyncio.run(_in_transaction(settings, work)))
    return 0


def cmd_openapi(settings: Settings, _: argparse.Namespace) -> int:
    """The OpenAPI document, as /openapi.json serves it, for partners' generators and lint."""
    from accident_online.app import create_app

    print(json.dumps(create_app(settings).openapi(), ensure_ascii=False, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="accident-online",
        description="Online handling of minor traffic accidents. Settings come from "
        "ACCIDENT_ONLINE_* environment variables (see README).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", help="default: ACCIDENT_ONLINE_HOST")
    serve.add_argument("--port", type=int, help="default: ACCIDENT_ONLINE_PORT")
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="upgrade the database to head").set_defaults(
        handler=cmd_migrate
    )
    commands.add_parser(
        "seed", help="add the shipped centers; on first run make the admin account"
    ).set_defaults(handler=cmd_seed)

    commands.add_parser(
        "openapi", help="print the OpenAPI document (ACCIDENT_ONLINE_PUBLIC_URL as its server)"
    ).set_defaults(handler=cmd_openapi)

    commands.add_parser(
        "worker", help="deliver webhooks (and keep deadlines) until stopped"
    ).set_defaults(handler=cmd_worker)

    users = commands.add_parser("users", help="officer, reviewer and admin accounts")
    users_commands = users.add_subparsers(dest="users_command", required=True)
    users_add = users_commands.add_parser("add", help="create an account")
    users_add.add_argument("username")
    users_add.add_argument("--role", required=True, choices=["admin", "officer", "reviewer"])
    users_add.add_argument("--center", help="the officer's center id")
    users_add.add_argument("--display-name", help="the name people read, e.g. 王建国")
    users_add.add_argument("--badge-number", help="the officer's badge number (警号)")
    users_add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    users_add.set_defaults(handler=cmd_users_add)
    for name, disabled, text in (
        ("disable", True, "disable an account: no sign-in, its tokens stop working"),
        ("enable", False, "enable a disabled account again"),
    ):
        command = users_commands.add_parser(name, help=text)
        command.add_argument("username")
        command.set_defaults(handler=cmd_users_disable, disabled=disabled)

    partners = commands.add_parser("partners", help="partner systems")
    partners_commands = partners.add_subparsers(dest="partners_command", required=True)
    partners_add = partners_commands.add_parser(
        "add", help="register a partner; prints its secrets once, as JSON"
    )
    partners_add.add_argument("id")
    partners_add.add_argument("--kind", required=True, choices=[kind.value for kind in PartnerKind])
    partners_add.add_argument("--name", required=True)
    partners_add.add_argument("--webhook-url")
    partners_add.add_argument(
        "--insurer-code", action="append", help="an insurer code drivers give (repeatable)"
    )
    partners_add.set_defaults(handler=cmd_partners_add)
    for name, disabled, text in (
        ("disable", True, "disable a partner: no sign-in, its tokens stop working"),
        ("enable", False, "enable a disabled partner again"),
    ):
        command = partners_commands.add_parser(name, help=text)
        command.add_argument("id")
        command.set_defaults(handler=cmd_partners_disable, disabled=disabled)
    rotate = partners_commands.add_parser(
        "rotate-client-secret",
        help="make a new client secret (printed once, as JSON); the old one and its "
        "tokens stop working",
    )
    rotate.add_argument("id")
    rotate.set_defaults(handler=cmd_partners_rotate_client_secret)

    add_evidence_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
        configure_hashing(
            time_cost=settings.password_hash_time_cost,
            memory_kib=settings.password_hash_memory_kib,
        )
        handler: Callable[[Settings, argparse.Namespace], int] = args.handler
        return handler(settings, args)
    except ValidationError as error:
        for item in error.errors():
            location = ".".join(str(part) for part in item["loc"]) or "input"
            print(f"error: {location}: {item['msg']}", file=sys.stderr)
        return 2
    except AppError as error:
        print(json.dumps({"code": error.code, "detail": error.detail}), file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
