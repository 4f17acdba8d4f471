"""Background work as data: freight/wiring.py names every job handler and periodic task and
installs them here at start-up; the worker runs them through one generic Celery task, so tasks
stay thin and safe to run twice.

A handler is `fn(session, ctx, **args) -> None`; it must be idempotent (keyed on business ids),
never commit (the runner does), and enqueue follow-up work with `ctx.enqueue`.
"""

from __future__ import annotations

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


class NotWiredError(RuntimeError):
    """Jobs were run before the composition (freight.wiring.install) filled the registry."""


def load_handlers() -> Registry:
    """The job handlers and periodic tasks freight/wiring.py named (installed at start-up)."""
    if not REGISTRY.handlers:
        raise NotWiredError("no job handlers: call freight.wiring.install() at start-up")
    return REGISTRY
