"""Who applies each carrier event: the one place consumers are named.

Imported (not looked up by name) so a consumer that is missing or renamed fails the import, and
`require_consumers` fails app creation and worker boot when an event kind has no consumer, instead
of a stored event being skipped at processing time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from carriers.webhooks import TRACK_EVENTS, TRANSACTION_EVENTS
from freight.shipments.transactions import apply_transaction_event
from freight.tracking.service import apply_tracking_update

# event name -> kind of consumer
KIND_OF: Mapping[str, str] = {
    **dict.fromkeys(TRACK_EVENTS, "track"),
    **dict.fromkeys(TRANSACTION_EVENTS, "transaction"),
}

# kind -> the function that applies it: track(session, ctx, TrackingInfo, source) and
# transaction(session, ctx, WebhookEvent) -> what it did.
CONSUMERS: dict[str, Callable[..., Any]] = {
    "track": apply_tracking_update,
    "transaction": apply_transaction_event,
}


class MissingConsumerError(RuntimeError):
    """A carrier event kind nothing would apply: refuse to start."""


def require_consumers() -> None:
    """Raise unless every event kind we accept has a callable consumer (called at start-up)."""
    missing = sorted({k for k in KIND_OF.values() if not callable(CONSUMERS.get(k))})
    if missing:
        raise MissingConsumerError(
            f"No consumer for carrier {', '.join(missing)} events: "
            "name one in freight/webhooks/consumers.py."
        )
