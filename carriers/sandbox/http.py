"""A tiny WSGI request/response/router layer for the sandbox (no framework, no socket needed)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

Json = dict[str, Any]
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class HttpError(Exception):
    """Stop handling and answer this status with a Shippo-style error body."""

    def __init__(self, status: int, body: Json) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Json
    base_url: str
    in_process: bool = False
    timeout: float | None = None

    def int_arg(self, name: str, default: int, *, low: int = 1, high: int = 10_000) -> int:
        """A bounded integer query parameter."""
        try:
            value = int(self.query.get(name, default))
        except ValueError as exc:
            raise HttpError(400, {name: ["A valid integer is required."]}) from exc
        return min(max(value, low), high)


@dataclass
class Response:
    status: int
    body: Json | bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encode(self) -> bytes:
        """The body bytes."""
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


Handler = Callable[..., Response]


class Router:
    """Method + path regex -> handler; path groups become keyword arguments."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """Register a route; `{name}` segments match one path segment; a trailing / is optional."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.rstrip("/"))
        self._routes.append((method, re.compile(f"^{regex}/?$"), handler))

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """Find the handler or raise 404/405."""
        allowed = False
        for route_method, regex, handler in self._routes:
            found = regex.match(path)
            if found:
                if route_method == method:
                    return handler, found.groupdict()
                allowed = True
        if allowed:
            raise HttpError(405, {"detail": f'Method "{method}" not allowed.'})
        raise HttpError(404, {"detail": "Not found."})


def parse_request(environ: dict[str, Any]) -> Request:
    """Build a Request from a WSGI environ (JSON or form bodies, like Shippo accepts)."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    content_type = str(environ.get("CONTENT_TYPE") or "")
    body: Json = {}
    if raw and "form-urlencoded" in content_type:
        body = dict(parse_qsl(raw.decode(), keep_blank_values=True))
    elif raw:
        try:
            decoded = json.loads(raw)
        except ValueError as exc:
            raise HttpError(400, {"detail": f"JSON parse error - {exc}"}) from exc
        if not isinstance(decoded, dict):
            raise HttpError(400, {"detail": "Expected a JSON object."})
        body = decoded
    headers = {
        k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")
    }
    host = headers.get("host") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return Request(
        method=str(environ["REQUEST_METHOD"]).upper(),
        path=str(environ.get("PATH_INFO") or "/"),
        query=dict(parse_qsl(str(environ.get("QUERY_STRING") or ""))),
        headers=headers,
        body=body,
        base_url=f"{environ.get('wsgi.url_scheme', 'http')}://{host}",
        in_process=bool(environ.get("sandbox.in_process")),
        timeout=environ.get("sandbox.timeout"),
    )


def send(response: Response, start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Write a Response through WSGI."""
    payload = response.encode()
    headers = [("Content-Type", response.content_type), ("Content-Length", str(len(payload)))]
    headers += list(response.headers.items())
    start_response(f"{response.status} {STATUS_TEXT.get(response.status, 'Status')}", headers)
    return [payload]
