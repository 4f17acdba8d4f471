"""The in-process sandbox carrier's control paths on the API itself: `/sandbox/…`.

`freight serve` alone runs the sandbox carrier inside the API and worker processes (no socket),
so without these paths nothing could move a sandbox parcel along and no outbound shipment would
ever show as delivered. They are the same paths `freight sandbox-carrier` serves (labels,
tracks/{number}/advance, faults, settle, behaviour …), answered by a sandbox app over the same
store file the carrier adapter uses. Only when the sandbox carrier is in use, and never with
FREIGHT_ENV=production."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from freight.settings import Settings

METHODS = ["GET", "POST", "PUT", "DELETE"]


def uses_in_process_sandbox(settings: Settings) -> bool:
    """True when the carrier is the in-process sandbox and this is not production."""
    return settings.env != "production" and not (
        settings.shippo_api_key or settings.shippo_base_url
    )


def sandbox_control_routes(app: FastAPI, settings: Settings) -> None:
    """Serve /sandbox/… when the in-process sandbox carrier is in use (else add nothing)."""
    if not uses_in_process_sandbox(settings):
        return
    holder: dict[str, Any] = {}

    def sandbox() -> Any:
        if "app" not in holder:
            from carriers.sandbox.server import build_app
            from freight.ports import carrier_config

            settings.data_dir.mkdir(parents=True, exist_ok=True)
            holder["app"] = build_app(carrier_config(settings))
        return holder["app"]

    @app.api_route("/sandbox/{rest:path}", methods=METHODS, include_in_schema=False)
    async def control(request: Request, rest: str) -> Response:
        from carriers.sandbox.http import HttpError
        from carriers.sandbox.http import Request as SandboxRequest

        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return Response(
                json.dumps({"detail": "Expected a JSON object."}), 400,
                media_type="application/json",
            )  # fmt: skip
        call = SandboxRequest(
            method=request.method, path=f"/sandbox/{rest}", query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()}, body=body,
            base_url=str(request.base_url).rstrip("/"),
        )  # fmt: skip
        try:
            answer = await run_in_threadpool(sandbox().handle, call)
        except HttpError as exc:
            return Response(json.dumps(exc.body), exc.status, media_type="application/json")
        return Response(
            answer.encode(), answer.status, headers=answer.headers, media_type=answer.content_type
        )
