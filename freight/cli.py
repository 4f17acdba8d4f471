"""The `freight` command: serve, migrate, tokens, worker, beat, tasks, sandbox-carrier."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from freight.settings import get_settings, settings_or_exit

Handler = Callable[[argparse.Namespace], int]


def _serve(args: argparse.Namespace) -> int:
    from freight.serve import serve

    return serve(host=args.host, port=args.port, demo=args.demo, workers=args.workers)


def _migrate(_: argparse.Namespace) -> int:
    from freight.migrate import DatabaseUnavailableError, upgrade

    settings = get_settings()
    try:
        upgrade(settings)
    except DatabaseUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"database at head: {_safe_url(settings.db_url)}")
    return 0


def _safe_url(url: str) -> str:
    head, sep, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://***@{tail}" if sep else url


def _tokens_create(args: argparse.Namespace) -> int:
    from freight.auth.service import create_token
    from freight.db import engine_for, session_factory, session_scope
    from freight.errors import AppError
    from freight.migrate import upgrade

    settings = get_settings()
    upgrade(settings)
    try:
        with session_scope(session_factory(engine_for(settings.db_url))) as session:
            token = create_token(session, role=args.role, name=args.name)
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    print(f"created {args.role} token for {args.name!r} (shown once; only its hash is stored):")
    print(token)
    return 0


def _sandbox_carrier(args: argparse.Namespace) -> int:
    from carriers.sandbox.server import serve as serve_sandbox
    from freight.ports import carrier_config

    serve_sandbox(args.host, args.port, carrier_config(get_settings()))
    return 0


def _worker(args: argparse.Namespace) -> int:
    from worker.run import run_worker

    return run_worker(concurrency=args.concurrency)


def _beat(_: argparse.Namespace) -> int:
    from worker.run import run_beat

    return run_beat()


def _tasks_run(args: argparse.Namespace) -> int:
    from worker.run import run_task_once

    return run_task_once(args.name, as_of=args.as_of)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="freight", description="RR Freight service")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the API (+ worker and beat on the embedded default)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--demo", action="store_true", help="load demo data")
    p.add_argument("--workers", type=int, default=1, help="API processes")
    p.set_defaults(handler=_serve)

    p = sub.add_parser("migrate", help="apply database migrations")
    p.set_defaults(handler=_migrate)

    p = sub.add_parser("tokens", help="manage API tokens")
    tsub = p.add_subparsers(dest="tokens_command", required=True)
    c = tsub.add_parser("create", help="create a token; prints it alone on the last line")
    c.add_argument("--role", required=True, choices=["staff", "finance", "admin"])
    c.add_argument("--name", required=True)
    c.set_defaults(handler=_tokens_create)

    p = sub.add_parser("sandbox-carrier", help="run the Shippo-compatible sandbox carrier")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8900)
    p.set_defaults(handler=_sandbox_carrier)

    p = sub.add_parser("worker", help="run a Celery worker")
    p.add_argument("--concurrency", type=int, default=2)
    p.set_defaults(handler=_worker)

    p = sub.add_parser("beat", help="run the Celery beat scheduler")
    p.set_defaults(handler=_beat)

    p = sub.add_parser("tasks", help="run periodic tasks by hand")
    tsub = p.add_subparsers(dest="tasks_command", required=True)
    r = tsub.add_parser("run", help="run one periodic task once, now")
    r.add_argument("name")
    r.add_argument("--as-of", default=None, help="ISO-8601 instant (refused in production)")
    r.set_defaults(handler=_tasks_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from freight.logs import configure_for, log_startup_warnings

    args = build_parser().parse_args(argv)
    settings = settings_or_exit()
    configure_for(settings)  # JSON lines, this deployment's secrets masked
    log_startup_warnings(settings)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
