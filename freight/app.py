"""create_app(): routers, body limit, one error handler → application/problem+json."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from freight.agreement.service import current_policy
from freight.db import engine_for, read_engine_for, read_factory, session_factory
from freight.errors import AppError, FieldError
from freight.pages.security import SecurityHeaders, security_options
from freight.problems import (
    NUL_FREE_JSON,
    bound_url_parameters,
    declare_problems,
    public_operations,
)
from freight.read_versions import ReadCache
from freight.schemas import country_schema
from freight.settings import Settings, get_settings
from freight.text import LINE_PATTERN, refuse_control_in_url
from freight.webhooks.fastpath import FreightAPI, Layer, hot_path_stack

log = logging.getLogger("freight.app")
PROBLEM = "application/problem+json"


def problem(
    status: int, title: str, detail: str, *, type_: str = "about:blank", **extra: Any
) -> Response:
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _field_name(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _app_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)  # noqa: S101 - registered for this type only (narrows it)
    return app_error_response(exc)


def app_error_response(exc: AppError) -> Response:
    """The problem+json response for an application error (also used outside the router)."""
    extra: dict[str, Any] = dict(exc.extra)
    if exc.errors:
        extra["errors"] = [{"field": e.field, "message": e.message} for e in exc.errors]
    headers = {"Retry-After": str(exc.retry_after)} if hasattr(exc, "retry_after") else None
    response = problem(exc.status, exc.title, exc.detail, type_=exc.type, **extra)
    if headers:
        response.headers.update(headers)
    return response


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only (narrows it)
    errors: list[FieldError] = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            return problem(
                400, "Malformed JSON", f"The request body is not valid JSON: {err.get('msg')}"
            )
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        errors.append(FieldError(_field_name(tuple(err.get("loc", ()))), msg))
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return problem(
        422, "Unprocessable content", detail,
        type_="https://rr-freight.example/problems/validation",
        errors=[{"field": e.field, "message": e.message} for e in errors],
    )  # fmt: skip


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this type only (narrows it)
    response = problem(exc.status_code, _TITLES.get(exc.status_code, "Error"), str(exc.detail))
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:
        response.headers["Allow"] = _allowed_methods(request, response.headers.get("Allow", ""))
    return response


def _allowed_methods(request: Request, fallback: str) -> str:
    """Every method the API documents at this path (RFC 9110 Allow): Starlette names only the
    first route's methods, and FastAPI makes one route per method."""
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = "[^/]+".join(re.escape(part) for part in re.split(r"\{[^}]+\}", template))
        if re.fullmatch(pattern, request.url.path):
            methods = {m.upper() for m in operations if m.upper() in _METHODS}
            return ", ".join(sorted(methods))
    return fallback


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


async def _unexpected(_: Request, exc: Exception) -> Response:
    log.exception("request.failed", exc_info=exc)
    return unexpected_error_response()


def unexpected_error_response() -> Response:
    return problem(500, "Internal server error", "Something went wrong; nothing was half-saved.")


_TITLES = {
    404: "Not found",
    405: "Method not allowed",
    413: "Payload too large",
    400: "Bad request",
}


class BodyLimit:
    """Refuse bodies over the limit (413) before they are read into memory."""

    def __init__(
        self, app: ASGIApp, limit: int, upload_limit: int = 0, upload_paths: str = r"^$"
    ) -> None:
        self.app, self.limit = app, limit
        # Multipart uploads (damage-report photos) get a larger limit on the paths that take them.
        self.upload_limit, self.upload_paths = max(upload_limit, limit), re.compile(upload_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if self.upload_paths.match(scope.get("path", "")) else self.limit
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, receive, send, limit)
            return
        seen, refused = 0, False

        async def limited() -> Message:
            # A chunked body over the limit: answer 413 now, then tell the app the client left
            # (it would otherwise turn the error into its own 400) and drop what it sends.
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                refused = True
                await self._reject(scope, receive, send, limit)
                return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, limited, guarded)
        except Exception:
            if not refused:
                raise

    async def _reject(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        body = {
            "type": "about:blank", "title": "Payload too large", "status": 413,
            "detail": f"The request body is larger than {limit} bytes.",
        }  # fmt: skip
        response = JSONResponse(body, status_code=413, media_type=PROBLEM)
        await response(scope, receive, send)


class ErrorGuard:
    """An unexpected error becomes the app's 500 problem+json here, inside the request-id and
    metrics layer (so the answer carries X-Request-ID and is counted as a 500). Used by the app's
    middleware stack and by the webhook hot path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise
            log.exception("request.failed")
            await unexpected_error_response()(scope, receive, send)


# Paths taking multipart uploads (damage-report photos; each photo is also checked on its own).
# Also proof-of-purchase documents and the warranty registry CSV.
UPLOAD_PATHS = (
    r"^/api/v1/(track/[^/]+/damage-reports|rr-submissions/[^/]+/documents"
    r"|warranty/registrations)$"
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API application, wired from Settings."""
    settings = settings or get_settings()
    if settings.env != "test":  # tests keep pytest's log capture
        from freight.logs import configure_for, log_startup_warnings

        configure_for(settings)
        log_startup_warnings(settings)
    from freight import wiring

    wiring.install()  # a job, task or carrier event kind nothing runs is a start-up error
    app = FreightAPI(
        title="RR Freight", version="0.1.0", description=__doc__, docs_url=None, redoc_url=None,
        dependencies=[Depends(refuse_control_in_url)],
    )  # fmt: skip
    app.state.settings = settings
    app.state.engine = engine_for(settings.db_url)
    app.state.session_factory = session_factory(app.state.engine)
    app.state.read_engine = read_engine_for(settings.db_url)  # the polled reads' own pool
    app.state.read_session_factory = read_factory(app.state.engine)
    app.state.hot_read_factory = read_factory(app.state.read_engine)
    app.state.read_cache = (
        ReadCache()
    )  # rendered RR answers of this process (freight.read_versions)
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    for router in _routers():
        app.include_router(router)
    from freight.pages.api import HERE as pages_dir
    from freight.pages.api import router as pages
    from freight.pages.docs import docs_routes
    from freight.sandbox_control import sandbox_control_routes

    app.include_router(pages)
    app.mount("/static", StaticFiles(directory=str(pages_dir / "static")), name="static")
    docs_routes(app)  # /docs and /redoc from the vendored assets
    sandbox_control_routes(app, settings)  # /sandbox/… when the in-process sandbox is the carrier
    _ops_routes(app)
    _hot_routes_first(app)
    app.openapi = lambda: _contract(app)  # type: ignore[method-assign]
    body_limit: dict[str, Any] = {
        "limit": settings.max_body_bytes, "upload_limit": settings.max_upload_bytes,
        "upload_paths": UPLOAD_PATHS,
    }  # fmt: skip
    app.add_middleware(BodyLimit, **body_limit)
    app.add_middleware(ErrorGuard)  # 500s answered inside the request-id layer added next
    app.add_middleware(SecurityHeaders, **security_options(settings))  # CSP, nosniff (SPEC §10)
    _background_wiring(app, settings)
    # The webhook hot path gets the same request-id/metrics and body-limit layers, without the rest
    # of the framework's per-request work (freight.webhooks.fastpath).
    from freight.metrics import RequestMetrics

    outer: list[Layer] = [
        (RequestMetrics, request_layer(settings)),
        (SecurityHeaders, security_options(settings)),
    ]
    app.hot_path = hot_path_stack(outer, [(BodyLimit, body_limit)])
    return app


# Polled all day (SPEC §11): tried before every other route.
HOT_PATHS = ("/healthz", "/api/v1/track/{rr_number}", "/api/v1/repair-requests/{rr_number}")


def _hot_routes_first(app: FastAPI) -> None:
    """FastAPI tries the routes in order, and each included router's in turn (about 80 matches
    for a path near the end, most of a trivial request's time): the polled reads and /healthz
    are tried first. The reads get a second, undocumented route to the same endpoint on the app
    itself (the documented one stays in its feature's router); none of these paths overlaps
    another route's."""
    from freight.repairs.api import get_repair_request
    from freight.tracking.customer_api import track

    app.add_api_route(HOT_PATHS[1], track, methods=["GET"], include_in_schema=False)
    app.add_api_route(HOT_PATHS[2], get_repair_request, methods=["GET"], include_in_schema=False)
    hot = [r for r in app.router.routes if getattr(r, "path", None) in HOT_PATHS]
    app.router.routes[:] = hot + [r for r in app.router.routes if r not in hot]


def _contract(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with every problem+json answer and URL bound declared (SPEC §10)."""
    if app.openapi_schema is None:
        schema = FastAPI.openapi(app)
        declare_problems(schema, public=public_operations(app.routes))
        schema.setdefault("components", {}).setdefault("schemas", {})["NulFreeJson"] = NUL_FREE_JSON
        _restrict_countries(schema, app.state.settings.export_restricted)
        _current_policy(schema, current_policy(app.state.settings).version)
        app.openapi_schema = bound_url_parameters(schema, LINE_PATTERN)
    return app.openapi_schema


def _restrict_countries(node: Any, restricted: list[str]) -> None:
    """Country enums without the export-restricted destinations these settings refuse."""
    if isinstance(node, dict):
        if node.pop("x-country", False):
            node.update(country_schema(restricted))
            node.pop("x-country")
        for value in node.values():
            _restrict_countries(value, restricted)
    elif isinstance(node, list):
        for value in node:
            _restrict_countries(value, restricted)


def _current_policy(node: Any, version: str) -> None:
    """The one policy version a request may accept: the current one (P-AGREE)."""
    if isinstance(node, dict):
        if node.pop("x-policy-version", False):
            node["enum"] = [version]
        for value in node.values():
            _current_policy(value, version)
    elif isinstance(node, list):
        for value in node:
            _current_policy(value, version)


def request_layer(settings: Settings) -> dict[str, Any]:
    """RequestMetrics' options: request ids and the access log always, counters when enabled."""
    return {"metrics": settings.metrics_enabled, "trusted_proxies": settings.trusted_proxies}


def _background_wiring(app: FastAPI, settings: Settings) -> None:
    """Request ids + metrics, /metrics, and publishing of committed jobs to the broker."""
    from freight.metrics import RequestMetrics, enable_multiprocess, metrics_route

    if settings.prometheus_multiproc_dir:
        enable_multiprocess(settings.prometheus_multiproc_dir)
    app.add_middleware(RequestMetrics, **request_layer(settings))
    if settings.metrics_enabled:  # off: no /metrics route at all (404)
        metrics_route(app, settings)

    # Tests (env=test) run jobs inline with freight.jobs.service.drain; else jobs go to the broker.
    if settings.env != "test":
        from worker.publish import install_publisher

        install_publisher(settings)


def _routers() -> list[Any]:
    """Every feature's router. Webhooks come first: routes are matched in order, and the
    carrier's high-volume POST should not be tried against every other route."""
    from freight.advance.api import router as advance
    from freight.agreement.api import router as agreement
    from freight.audit.api import router as audit
    from freight.auth.api import router as auth
    from freight.claims.api import router as claims
    from freight.closeout.api import router as closeout
    from freight.desk.api import router as desk
    from freight.finance.api import router as finance
    from freight.inbound.api import router as inbound
    from freight.jobs.api import router as jobs
    from freight.payments.api import router as payments
    from freight.quotes.api import router as quotes
    from freight.repairs.api import router as repairs
    from freight.shipments.api import router as shipments
    from freight.submissions.api import router as submissions
    from freight.tracking.api import router as tracking
    from freight.warranty.api import router as warranty
    from freight.webhooks.api import router as webhooks

    return [
        webhooks,
        repairs,
        shipments,
        quotes,
        payments,
        finance,
        tracking,
        claims,
        desk,
        jobs,
        agreement,
        submissions,
        warranty,
        auth,
        audit,
        inbound,
        closeout,
        advance,
    ]


def _ops_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    def readyz() -> Response:
        checks: dict[str, str] = {}
        try:
            with app.state.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - readiness reports, never raises
            checks["database"] = f"error: {exc.__class__.__name__}"
        checks["broker"] = _broker_check(app.state.settings)
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503
        )


def _broker_check(settings: Settings) -> str:
    if settings.embedded:
        return "ok"
    try:
        import redis

        redis.Redis.from_url(settings.redis_url or "", socket_timeout=1).ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"error: {exc.__class__.__name__}"
