"""How the sandbox behaves like live Shippo beyond happy paths, switched per store (shared by
every process on the file) through POST /sandbox/behaviour:

- `rate_limits`: Shippo's per-minute limits per token and endpoint class (test keys get the test
  column), answered with 429, `Retry-After` and `X-RateLimit-Reset` (epoch seconds);
- `carrier_timeouts`: carriers whose API "did not respond": their rates are missing with a
  `carrier_timeout` message, and a purchase for them ends in ERROR with the same message;
- `purchase_queue_seconds`: purchases answer QUEUED and finish (SUCCESS) this long afterwards;
- `refund_seconds` / `refund_outcome`: refunds answer QUEUED, then PENDING, and finish this long
  afterwards as SUCCESS (label REFUNDED) or, with "reject", ERROR (label REFUNDREJECTED);
- `label_url_seconds`: label and invoice URLs are signed and expire (403) after this long.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from carriers import limits
from carriers.sandbox.context import Context
from carriers.sandbox.http import HttpError, Request, Response, Router

Json = dict[str, Any]
SETTING = "behaviour"


@dataclass(frozen=True)
class Behaviour:
    rate_limits: bool = False
    carrier_timeouts: tuple[str, ...] = ()
    purchase_queue_seconds: float = 0.0
    refund_seconds: float = 0.0
    refund_outcome: str = "success"
    label_url_seconds: float = 3600.0

    def as_json(self) -> Json:
        return {
            "rate_limits": self.rate_limits,
            "carrier_timeouts": list(self.carrier_timeouts),
            "purchase_queue_seconds": self.purchase_queue_seconds,
            "refund_seconds": self.refund_seconds,
            "refund_outcome": self.refund_outcome,
            "label_url_seconds": self.label_url_seconds,
        }


def current(ctx: Context, *, default_rate_limits: bool = False) -> Behaviour:
    raw = ctx.store.setting(SETTING)
    if raw is None:
        return Behaviour(rate_limits=default_rate_limits)
    return parse(json.loads(raw))


def parse(body: Json) -> Behaviour:
    """A behaviour from a control body, refusing what it cannot mean."""
    problems: dict[str, list[str]] = {}
    numbers: dict[str, float] = {}
    for key in ("purchase_queue_seconds", "refund_seconds", "label_url_seconds"):
        value = body.get(key, getattr(Behaviour, key))
        if not isinstance(value, int | float) or value < 0:
            problems[key] = ["Must be a number ≥ 0."]
        else:
            numbers[key] = float(value)
    carriers = body.get("carrier_timeouts", [])
    if not isinstance(carriers, list) or not all(isinstance(c, str) for c in carriers):
        problems["carrier_timeouts"] = ["Must be a list of carrier tokens."]
    outcome = body.get("refund_outcome", "success")
    if outcome not in ("success", "reject"):
        problems["refund_outcome"] = ["Must be 'success' or 'reject'."]
    if problems:
        raise HttpError(400, problems)
    return Behaviour(
        rate_limits=bool(body.get("rate_limits", False)),
        carrier_timeouts=tuple(c.lower() for c in carriers),
        refund_outcome=str(outcome),
        **numbers,
    )


def is_test_token(req: Request) -> bool:
    """Objects made with a test key are test objects (Shippo's `test` flag)."""
    token = req.headers.get("authorization", "").removeprefix("ShippoToken ").strip()
    return not token.startswith("shippo_live_")


def throttle(ctx: Context, req: Request) -> Response | None:
    """429 when this token's endpoint class is over its per-minute limit, else None."""
    resource, verb = limits.endpoint_class(req.method, req.path)
    token = req.headers.get("authorization", "")
    mode: limits.Mode = "test" if is_test_token(req) else "live"
    limit = limits.limit_for(resource, verb, mode)
    now = ctx.now().timestamp()
    left, reset = ctx.store.hit(
        limits.key_for(token, resource, verb), limit=limit, period=limits.PERIOD_SECONDS, now=now
    )
    if left >= 0:
        return None
    wait = max(reset - now, 0.0)
    return Response(
        429,
        {"detail": f"Request was throttled. Expected available in {int(wait) + 1} seconds."},
        headers={
            "Retry-After": str(int(wait) + 1),
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(reset) + 1),
        },
    )


def set_behaviour(ctx: Context, req: Request) -> Response:
    """POST /sandbox/behaviour (see the module docstring)."""
    behaviour = parse(req.body)
    ctx.store.set_setting(SETTING, json.dumps(behaviour.as_json()))
    return Response(200, behaviour.as_json())


def get_behaviour(ctx: Context, req: Request) -> Response:
    """GET /sandbox/behaviour."""
    del req
    return Response(200, current(ctx).as_json())


def register(router: Router) -> None:
    router.add("GET", "/sandbox/behaviour", get_behaviour)
    router.add("POST", "/sandbox/behaviour", set_behaviour)
