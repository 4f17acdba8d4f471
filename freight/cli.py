"""The `freight` command: serve, migrate, users, tokens, worker, beat, tasks, sandbox-carrier."""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from freight.auth.cli import add_commands as add_account_commands
from freight.settings import get_settings, settings_or_exit

Handler = Callable[[argparse.Namespace], int]


def _serve(args: argparse.Namespace) -> int:
    from freight.serve import serve

    return serve(host=args.host, port=args.port, demo=args.demo, workers=args.workers)


def _migrate(_: argparse.Namespace) -> int:
    from freight.auth.cli import safe_url
    from freight.migrate import DatabaseUnavailableError, upgrade

    settings = get_settings()
    try:
        upgrade(settings)
    except DatabaseUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"database at head: {safe_url(settings.db_url)}")
    return 0


def _sandbox_carrier(args: argparse.Namespace) -> int:
    from carriers.sandbox.server import serve as serve_sandbox
    from freight.ports import carrier_config

    config = carrier_config(get_settings())
    if config.sandbox_db_path:  # from an empty folder: make the data dir its store lives in
        Path(config.sandbox_db_path).parent.mkdir(parents=True, exist_ok=True)
    try:
        probe = socket.create_server((args.host, args.port))
    except OSError as exc:  # a port in use: say so, as `freight serve` does, not a traceback
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        print("choose another with --port N", file=sys.stderr)
        return 3
    probe.close()
    print(f"sandbox carrier on http://{args.host}:{args.port} (store: {config.sandbox_db_path})")
    sys.stdout.flush()
    serve_sandbox(args.host, args.port, config)
    return 0


def _worker(args: argparse.Namespace) -> int:
    from worker.run import run_worker

    return run_worker(concurrency=args.concurrency)


def _beat(_: argparse.Namespace) -> int:
    from worker.run import run_beat

    return run_beat()


def _tasks_list(_: argparse.Namespace) -> int:
    """Every periodic task beat runs, how often, and what it does (first docstring line)."""
    from freight import wiring

    tasks = sorted(wiring.PERIODIC_TASKS, key=lambda task: task.name)
    width = max((len(task.name) for task in tasks), default=4)
    for task in tasks:
        about = ((task.fn.__doc__ or "").strip().splitlines() or [""])[0]
        print(f"{task.name:<{width}}  every {_every(task.every_seconds):>5}  {about}")
    print("run one now: freight tasks run NAME", file=sys.stderr)
    return 0


def _every(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _tasks_run(args: argparse.Namespace) -> int:
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)  # before alembic loads: no chatter
    from freight.migrate import DatabaseUnavailableError, upgrade
    from worker.run import run_task_once

    try:  # from an empty folder: the tables first (else "no such table")
        upgrade(get_settings())
    except DatabaseUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

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

    add_account_commands(sub)  # users …, tokens …

    p = sub.add_parser("sandbox-carrier", help="run the Shippo-compatible sandbox carrier")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8900)
    p.set_defaults(handler=_sandbox_carrier)

    p = sub.add_parser("worker", help="run a Celery worker")
    p.add_argument(
        "--concurrency", type=int, default=None,
        help="jobs in flight (default: FREIGHT_LABEL_CONCURRENCY threads; prefork: 2 processes)",
    )  # fmt: skip
    p.set_defaults(handler=_worker)

    p = sub.add_parser("beat", help="run the Celery beat scheduler")
    p.set_defaults(handler=_beat)

    p = sub.add_parser("tasks", help="list the periodic tasks, or run one by hand")
    p.set_defaults(handler=_tasks_list)  # `freight tasks` alone lists them
    tsub = p.add_subparsers(dest="tasks_command")
    tsub.add_parser("list", help="list the periodic tasks").set_defaults(handler=_tasks_list)
    r = tsub.add_parser("run", help="run one periodic task once, now")
    r.add_argument("name", help="a task's name, as `freight tasks` lists them")
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
