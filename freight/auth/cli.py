"""`freight users …` and `freight tokens …`: accounts and API tokens from the command line.

Each command migrates the configured database first (so it works from an empty folder) and says
which database it used, since a wrong FREIGHT_DATA_DIR or FREIGHT_DATABASE_URL is the usual
reason an account "does not exist"."""

from __future__ import annotations

import argparse
import logging
import os
import pwd
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from freight.auth import accounts, service
from freight.clock import utc_now
from freight.errors import AppError
from freight.settings import Settings, get_settings

if TYPE_CHECKING:
    from freight.auth.models import User

ROLE_CHOICES = ["staff", "finance", "admin"]


def _actor() -> str:
    """The operator, for the audit trail (the OS account running the command)."""
    try:
        return f"cli:{pwd.getpwuid(os.getuid()).pw_name}"
    except KeyError:  # pragma: no cover - a uid without a passwd entry (some containers)
        return f"cli:uid{os.getuid()}"


def safe_url(url: str) -> str:
    head, sep, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://***@{tail}" if sep else url


@contextmanager
def _database() -> Iterator[tuple[Session, Settings]]:
    from freight.db import engine_for, session_factory, session_scope
    from freight.migrate import is_new_database, upgrade

    settings = get_settings()
    new = is_new_database(settings)
    upgrade(settings)
    print(f"database: {safe_url(settings.db_url)}")
    if (
        new
    ):  # run from the wrong folder, or with another FREIGHT_DATA_DIR/DATABASE_URL than the server
        print(
            f"warning: {safe_url(settings.db_url)} did not exist and was created empty just now; "
            "a server using another database will not know what this command makes "
            "(set FREIGHT_DATA_DIR or FREIGHT_DATABASE_URL as the server has them)",
            file=sys.stderr,
        )
    with session_scope(session_factory(engine_for(settings.db_url))) as session:
        yield session, settings


def _run(work: Callable[[Session, Settings, datetime], None]) -> int:
    # Before alembic is imported (it logs as it loads): no migration chatter on every command.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from freight.migrate import DatabaseUnavailableError

    try:
        with _database() as (session, settings):
            work(session, settings, utc_now())
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    except DatabaseUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _read_password() -> str | None:
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    return password or None


def users_create(args: argparse.Namespace) -> int:
    password = None
    if args.password_stdin:
        password = _read_password()
        if password is None:
            print("error: --password-stdin given but standard input was empty", file=sys.stderr)
            return 2

    def work(session: Session, settings: Settings, now: datetime) -> None:
        new = accounts.create_user(
            session, email=args.email, name=args.name, role=args.role, password=password,
            actor=_actor(), now=now, settings=settings,
        )  # fmt: skip
        print(f"created {new.user.role} account {new.user.email} ({new.user.name})")
        if new.password_link is None:
            print("password set; sign in at /login")
        else:
            print(f"one-time link to set the password (valid {settings.password_link_hours} h):")
            print(new.password_link)

    return _run(work)


def users_list(_: argparse.Namespace) -> int:
    def work(session: Session, _settings: Settings, now: datetime) -> None:
        users = accounts.list_users(session)
        if not users:
            print("no accounts yet: freight users create --email E --name N --role staff")
            return
        print(f"{'email':32} {'role':8} {'status':22} name")
        for user in users:
            print(f"{user.email:32} {user.role:8} {_status(user, now):22} {user.name}")

    return _run(work)


def _status(user: User, now: datetime) -> str:
    if user.disabled_at is not None:
        return "disabled"
    if user.password_hash is None:
        expires = user.password_link_expires_at
        return "link sent" if expires is not None and expires > now else "no password, link expired"
    return "active"


def users_disable(args: argparse.Namespace, *, disabled: bool = True) -> int:
    def work(session: Session, _settings: Settings, now: datetime) -> None:
        user, ended = accounts.set_disabled(
            session, email=args.email, disabled=disabled, actor=_actor(), now=now
        )
        if disabled:
            print(f"disabled {user.email}; {ended} session(s) ended")
        else:
            print(f"enabled {user.email}; they can sign in again")

    return _run(work)


def users_enable(args: argparse.Namespace) -> int:
    return users_disable(args, disabled=False)


def users_reset_password(args: argparse.Namespace) -> int:
    password = _read_password() if args.password_stdin else None
    if args.password_stdin and password is None:
        print("error: --password-stdin given but standard input was empty", file=sys.stderr)
        return 2

    def work(session: Session, settings: Settings, now: datetime) -> None:
        if password is not None:
            user = accounts.replace_password(
                session, email=args.email, password=password, actor=_actor(), now=now
            )
            print(f"new password set for {user.email}; their sessions ended")
            return
        link = accounts.new_password_link(
            session, email=args.email, actor=_actor(), now=now, settings=settings
        )
        print(f"one-time link to set a new password (valid {settings.password_link_hours} h):")
        print(link)

    return _run(work)


def tokens_create(args: argparse.Namespace) -> int:
    def work(session: Session, _settings: Settings, now: datetime) -> None:
        token = service.create_token(
            session, role=args.role, name=args.name, actor=_actor(), now=now
        )
        print(f"created {args.role} token for {args.name!r} (shown once; only its hash is stored):")
        print(token)

    return _run(work)


def tokens_list(_: argparse.Namespace) -> int:
    def work(session: Session, _settings: Settings, _now: datetime) -> None:
        tokens = service.list_tokens(session)
        if not tokens:
            print("no API tokens yet: freight tokens create --role staff --name NAME")
            return
        print(f"{'id':>4} {'role':8} {'created':17} {'status':18} name")
        for t in tokens:
            status = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
            print(f"{t.id:>4} {t.role:8} {t.created_at:%Y-%m-%d %H:%M} {status:18} {t.name}")

    return _run(work)


def tokens_revoke(args: argparse.Namespace) -> int:
    def work(session: Session, _settings: Settings, now: datetime) -> None:
        row = service.revoke_token(session, token_id=args.id, actor=_actor(), now=now)
        print(f"revoked token {row.id} ({row.name!r}); requests with it now get 401")

    return _run(work)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `users` and `tokens` command groups."""
    p = sub.add_parser("users", help="manage staff, finance and admin accounts")
    usub = p.add_subparsers(dest="users_command", required=True)
    c = usub.add_parser("create", help="create an account (prints a set-password link)")
    c.add_argument("--email", required=True)
    c.add_argument("--name", required=True)
    c.add_argument("--role", required=True, choices=ROLE_CHOICES)
    c.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    c.set_defaults(handler=users_create)
    usub.add_parser("list", help="list accounts").set_defaults(handler=users_list)
    for name, handler, text in [
        ("disable", users_disable, "disable an account and end its sessions"),
        ("enable", users_enable, "enable a disabled account again"),
        ("reset-password", users_reset_password, "print a new one-time set-password link"),
    ]:
        c = usub.add_parser(name, help=text)
        c.add_argument("--email", required=True)
        if name == "reset-password":
            c.add_argument(
                "--password-stdin", action="store_true", help="set it from stdin instead"
            )
        c.set_defaults(handler=handler)

    p = sub.add_parser("tokens", help="manage API tokens (for scripts)")
    tsub = p.add_subparsers(dest="tokens_command", required=True)
    c = tsub.add_parser("create", help="create a token; prints it alone on the last line")
    c.add_argument("--role", required=True, choices=ROLE_CHOICES)
    c.add_argument("--name", required=True)
    c.set_defaults(handler=tokens_create)
    tsub.add_parser("list", help="list tokens (ids, roles, names)").set_defaults(
        handler=tokens_list
    )
    c = tsub.add_parser("revoke", help="revoke a token by id (see `freight tokens list`)")
    c.add_argument("--id", required=True, type=int)
    c.set_defaults(handler=tokens_revoke)
