"""The composition: what each feature contributes to the others, named once, here.

Nothing registers itself at import time. A name that does not resolve fails the import of this
module; `install()` checks the tables and fills the job registry, and the app, the worker and the
CLI call it at start-up (a missing handler or consumer stops them, it is not skipped later).

- JOB_HANDLERS: task name (stored on each job row) → the handler that runs it.
- PERIODIC_TASKS: what beat runs (or `freight tasks run NAME` by hand), and how often.
- RR_SECTIONS: the sections of the staff RR answer other features fill.
- WEBHOOK_CONSUMERS: who applies each kind of carrier event (freight/webhooks/consumers.py).
- and the read-version hook (freight/read_versions.py) on every session of the process.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from freight import read_versions
from freight.advance import jobs as advance_jobs
from freight.advance import service as advance_service
from freight.advance.views import advance_section
from freight.claims import jobs as claims_jobs
from freight.claims.views import claims_section
from freight.closeout import jobs as closeout_jobs
from freight.closeout import service as closeout_service
from freight.credits import jobs as credits_jobs
from freight.jobs import relay
from freight.jobs.registry import REGISTRY, Handler, Periodic
from freight.notifications import jobs as notifications_jobs
from freight.payments import jobs as payments_jobs
from freight.payments import webhooks as payments_webhooks
from freight.quotes import jobs as quotes_jobs
from freight.quotes.views import quotes_section
from freight.repairs import jobs as repairs_jobs
from freight.repairs.views import SectionLoader
from freight.shipments import jobs as shipments_jobs
from freight.shipments import voiding
from freight.tracking import jobs as tracking_jobs
from freight.tracking.views import shipments_section
from freight.webhooks import jobs as webhooks_jobs
from freight.webhooks import service as webhooks_service
from freight.webhooks.consumers import CONSUMERS, require_consumers

JOB_HANDLERS: Mapping[str, Handler] = MappingProxyType(
    {
        "shipments.buy_label": shipments_jobs.buy_label,
        voiding.CHECK_REFUND: shipments_jobs.check_refund,
        "quotes.release_payment": quotes_jobs.release_payment,
        "tracking.subscribe": tracking_jobs.subscribe,
        webhooks_service.PROCESS_TASK: webhooks_jobs.process,
        payments_webhooks.PROCESS_TASK: payments_jobs.apply_event,
        "notifications.send": notifications_jobs.send,
        "credits.refund": credits_jobs.refund,
        closeout_service.CREATE_MANIFEST: closeout_jobs.create_manifest,
        closeout_service.BOOK_PICKUP: closeout_jobs.book_pickup,
        advance_service.CHARGE_TASK: advance_jobs.charge,
    }
)

_MINUTE, _HOUR = 60, 3600
PERIODIC_TASKS: tuple[Periodic, ...] = (
    Periodic("jobs.relay", 10, relay.relay),
    Periodic("repairs.auto_cancel", 15 * _MINUTE, repairs_jobs.auto_cancel),
    Periodic("repairs.flag_overdue", _HOUR, repairs_jobs.flag_overdue),
    Periodic("quotes.expire", 5 * _MINUTE, quotes_jobs.expire),
    Periodic("quotes.renew_holds", _HOUR, quotes_jobs.renew_holds),
    Periodic("quotes.poll_payments", 5 * _MINUTE, quotes_jobs.poll_payments),
    Periodic("shipments.refunds_poll", 15 * _MINUTE, shipments_jobs.refunds_poll),
    Periodic("tracking.poll", 10 * _MINUTE, tracking_jobs.poll),
    Periodic("claims.expire", 24 * _HOUR, claims_jobs.expire),
    Periodic("advance.sweep", _HOUR, advance_jobs.sweep),
)

RR_SECTIONS: Mapping[str, SectionLoader] = MappingProxyType(
    {
        "shipments": shipments_section,  # inbound and outbound, oldest first
        "quotes": quotes_section,
        "claims": claims_section,
        "advance_replacement": advance_section,
    }
)

WEBHOOK_CONSUMERS = CONSUMERS


class WiringError(RuntimeError):
    """A table above names something that cannot run: refuse to start."""


def install() -> None:
    """Check the tables and fill the job registry (idempotent; called at every start-up)."""
    problems = [f"job {name!r}" for name, fn in JOB_HANDLERS.items() if not callable(fn)]
    problems += [f"periodic task {p.name!r}" for p in PERIODIC_TASKS if not callable(p.fn)]
    names = [p.name for p in PERIODIC_TASKS]
    problems += [f"periodic task {n!r} twice" for n in sorted(set(names)) if names.count(n) > 1]
    if problems:
        raise WiringError("freight/wiring.py: " + ", ".join(problems))
    require_consumers()
    read_versions.install()  # every write bumps its RR's read version (freight/read_versions.py)
    REGISTRY.handlers.update(JOB_HANDLERS)
    REGISTRY.periodic.update({p.name: p for p in PERIODIC_TASKS})
