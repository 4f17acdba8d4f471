"""Background work as data: features register job handlers and periodic tasks here; the
worker runs them through one generic Celery task, so tasks stay thin and safe to run twice.

A handler is `fn(session, ctx, **args) -> None`; it must be idempotent (keyed on business ids),
never commit (the runner does), and enqueue follow-up work with `ctx.enqueue`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from freight.settings import Settings


class Enqueue(Protocol):
    def __call__(self, session: Session, *, task: str, args: dict[str, Any], key: str) -> Any: ...


@dataclass
class JobContext:
    """What a handler may use besides its session: settings, the clock and the ports."""

    settings: Settings
    now: datetime
    carrier: Any  # carriers.port.CarrierPort
    payments: Any  # freight.payments.port.PaymentsPort
    enqueue: Enqueue
    # Which claim of the job this is (1 = no earlier run started; a redelivery after a crash, a
    # retry or a staff retry is 2 or more; None = not known, e.g. a handler called directly).
    # Handlers may skip look-ups that only a rerun needs when it is 1.
    attempt: int | None = None


Handler = Callable[..., None]


@dataclass(frozen=True)
class Periodic:
    name: str
    every_seconds: float
    fn: Callable[[Session, JobContext], Any]


@dataclass
class Registry:
    handlers: dict[str, Handler] = field(default_factory=dict)
    periodic: dict[str, Periodic] = field(default_factory=dict)


REGISTRY = Registry()

# Modules that register handlers; imported once by the worker and by `freight tasks run`.
HANDLER_MODULES = (
    "freight.jobs.relay",
    "freight.repairs.jobs",
    "freight.shipments.jobs",
    "freight.quotes.jobs",
    "freight.tracking.jobs",
    "freight.claims.jobs",
    "freight.webhooks.jobs",
    "freight.notifications.jobs",
    "freight.credits.jobs",
    "freight.payments.jobs",
    "freight.closeout.jobs",
    "freight.advance.jobs",
)


def job(name: str) -> Callable[[Handler], Handler]:
    """Register a one-off job handler under a task name (e.g. "shipments.buy_label")."""

    def register(fn: Handler) -> Handler:
        REGISTRY.handlers[name] = fn
        return fn

    return register


def periodic(
    name: str, *, every_seconds: float
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a periodic task (run by beat, or by hand with `freight tasks run NAME`)."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        REGISTRY.periodic[name] = Periodic(name, every_seconds, fn)
        return fn

    return register


def load_handlers() -> Registry:
    """Import every feature's job module (missing ones are a bug, not a skip)."""
    for module in HANDLER_MODULES:
        importlib.import_module(module)
    return REGISTRY
