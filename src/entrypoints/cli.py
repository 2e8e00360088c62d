"""The operator CLI: ``healthcare serve | migrate | config show | users create-admin | auth token``.

Exit codes: 0 done, 1 the operation was refused (the error's code and message are printed),
2 the settings or the arguments are invalid.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from dishka import AsyncContainer

from domain.errors import DomainError
from entrypoints.config import Settings, SettingsError, load_settings, render_settings
from entrypoints.logging_setup import configure_logging

T = TypeVar("T")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="healthcare", description="Clinic backend operations.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the HTTP API (granian)")
    serve.add_argument("--host", help="bind address (default: APP_HOST)")
    serve.add_argument("--port", type=int, help="port (default: APP_PORT, 8088)")
    serve.add_argument("--workers", type=int, help="worker processes (default: APP_WORKERS)")

    commands.add_parser("migrate", help="bring the database schema up to date (runs as DATABASE_MIGRATE_URL)")

    config = commands.add_parser("config", help="settings")
    config.add_subparsers(dest="action", required=True).add_parser(
        "show", help="print the effective settings"
    )

    users = commands.add_parser("users", help="users")
    admin = users.add_subparsers(dest="action", required=True).add_parser(
        "create-admin", help="create a super admin"
    )
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True)

    auth = commands.add_parser("auth", help="tokens")
    token = auth.add_subparsers(dest="action", required=True).add_parser(
        "token", help="print an access token"
    )
    token.add_argument("--email", required=True)
    token.add_argument("--ttl", type=int, help="lifetime in minutes (default: JWT_ACCESS_TTL_MINUTES)")
    for extension in _extensions():
        extension.add_parser(commands)
    return parser


def _extensions() -> list[Any]:
    """Command groups in their own modules: each has ``COMMAND``, ``add_parser`` and ``run``."""
    from entrypoints import cli_audit, cli_cache, cli_keys, cli_outbox, cli_records, cli_seed, cli_worker

    return [cli_keys, cli_audit, cli_outbox, cli_worker, cli_cache, cli_records, cli_seed]


async def _in_container(settings: Settings, work: Callable[[AsyncContainer], Awaitable[T]]) -> T:
    from entrypoints.bootstrap import as_system, prepare_store
    from entrypoints.ioc.profiles import build_container

    container = build_container(settings)
    try:
        await prepare_store(container, settings)
        async with container() as request:
            await as_system(request)
            return await work(request)
    finally:
        await container.close()


def _create_admin(settings: Settings, email: str, name: str) -> str:
    from application.users.create_super_admin import CreateSuperAdmin, CreateSuperAdminCommand

    async def work(request: AsyncContainer) -> str:
        user = await (await request.get(CreateSuperAdmin))(CreateSuperAdminCommand(email=email, name=name))
        return f"Created super admin {user.id} ({user.email})."

    return asyncio.run(_in_container(settings, work))


def _token(settings: Settings, email: str, ttl: int | None) -> str:
    from application.auth.issue_operator_token import IssueOperatorToken, IssueOperatorTokenCommand

    async def work(request: AsyncContainer) -> str:
        issued = await (await request.get(IssueOperatorToken))(
            IssueOperatorTokenCommand(email=email, ttl_minutes=ttl)
        )
        return issued.token

    return asyncio.run(_in_container(settings, work))


def _migrate(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    from adapters.sql.engine import create_engine
    from adapters.sql.migrate import migrate
    from entrypoints.ioc.persistence import engine_options

    async def run() -> None:
        engine = create_engine(engine_options(settings, url=settings.database.migrate_url))
        try:
            await migrate(
                engine,
                app_role=settings.database.app_role or None,
                grant_to=make_url(settings.database.url).username,
            )
        finally:
            await engine.dispose()

    asyncio.run(run())
    return "Database schema is up to date."


def _serve(settings: Settings, host: str | None, port: int | None, workers: int | None) -> None:
    from granian.constants import Interfaces
    from granian.server import Server

    # Migrate and seed once here, before workers fork, so they never race each other at it.
    asyncio.run(_in_container(settings, _nothing))
    Server(
        "entrypoints.http.asgi:app_from_environment",
        address=host or settings.app.host,
        port=port or settings.app.port,
        interface=Interfaces.ASGI,
        workers=workers or settings.app.workers,
        factory=True,
        log_access=False,  # our own access log has the request id and no query strings
        workers_kill_timeout=int(settings.app.shutdown_timeout_seconds) or None,
    ).serve()


async def _nothing(_: AsyncContainer) -> None:
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        if args.command == "serve":
            _serve(settings, args.host, args.port, args.workers)
        elif args.command == "migrate":
            print(_migrate(settings))
        elif args.command == "config":
            print(render_settings(settings))
        elif args.command == "users":
            print(_create_admin(settings, args.email, args.name))
        elif args.command == "auth":
            print(_token(settings, args.email, args.ttl))
        else:
            extension = next(e for e in _extensions() if args.command == e.COMMAND)
            return int(asyncio.run(extension.run(args, settings)))
    except DomainError as error:
        print(f"{error.code}: {error.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
