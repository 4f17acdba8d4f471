"""The webhook hot path: a short ASGI stack in front of the framework's.

Carriers post tracking events in bursts; each delivery is one small JSON body to store and answer
(SPEC §5). Routing, dependency solving, response objects and the framework's middleware cost more
than that work, so `POST /webhooks/shippo` (and its /api/v1 alias) is dispatched by
`FreightAPI.__call__` to this stack instead: the same request-id/metrics and body-limit layers as
every other path, then `webhook_endpoint`, which answers through the same `receive_delivery` as the
documented route. A bad token or body becomes the same problem+json through the app's error
handler; anything unexpected, the app's 500 problem.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from freight.errors import AppError
from freight.webhooks.api import WEBHOOK_PATHS, receive_delivery, request_token
from freight.webhooks.service import TOKEN_HEADER

_ROUTES = {path: SimpleNamespace(path=path) for path in WEBHOOK_PATHS}  # what metrics label
_HEADERS = [(b"content-type", b"application/json")]
_BODIES = {r: f'{{"status":"{r}"}}'.encode() for r in ("accepted", "duplicate", "ignored")}


def _token(query_string: bytes) -> str | None:
    token = None
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name == "token":
            token = value  # the last one wins, as in Starlette's QueryParams
    return token


def _headers(scope: Scope, token_name: str, signature_name: str) -> tuple[str | None, str | None]:
    """The token and signature headers (ASGI names are lower-case bytes; the last one wins)."""
    token = signature = None
    token_key, signature_key = token_name.encode("latin-1"), signature_name.encode("latin-1")
    for name, value in scope.get("headers") or ():
        if name == token_key:
            token = value.decode("latin-1")
        elif name == signature_key:
            signature = value.decode("latin-1")
    return token, signature


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def webhook_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    """ASGI endpoint for a webhook POST (scope["app"] is the FreightAPI)."""
    from freight.app import app_error_response

    state = scope["app"].state
    token = _token(scope.get("query_string", b""))
    wanted = (TOKEN_HEADER, state.settings.shippo_webhook_signature_header.lower())
    header_token, signature = _headers(scope, *wanted)
    try:
        status, result = await receive_delivery(
            state, request_token(token, header_token), await _body(receive), signature
        )
    except AppError as exc:
        await app_error_response(exc)(scope, receive, send)
        return
    body = _BODIES.get(result) or f'{{"status":"{result}"}}'.encode()
    headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class FreightAPI(FastAPI):
    """FastAPI, plus the short stack for the webhook hot path (set by `create_app`)."""

    hot_path: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.hot_path is not None
            and scope["type"] == "http"
            and scope["method"] == "POST"
            and (route := _ROUTES.get(scope["path"])) is not None
        ):
            scope["app"], scope["route"] = self, route
            await self.hot_path(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


Layer = tuple[type[Any], dict[str, Any]]


def hot_path_stack(outer: list[Layer], inner: list[Layer]) -> ASGIApp:
    """The endpoint in the `inner` layers, the error guard, then the `outer` layers (outermost
    first): request ids and metrics go outside the guard so a 500 carries and counts them too."""
    from freight.app import ErrorGuard

    app: ASGIApp = webhook_endpoint
    for cls, options in reversed(inner):
        app = cls(app, **options)
    app = ErrorGuard(app)
    for cls, options in reversed(outer):
        app = cls(app, **options)
    return app
