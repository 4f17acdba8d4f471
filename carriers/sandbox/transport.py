"""A requests transport adapter that hands requests to the sandbox WSGI app: no socket."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from carriers.sandbox.app import TIMEOUT_HEADER

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
IN_PROCESS_BASE_URL = "http://sandbox-carrier.internal"


class WsgiTransport(BaseAdapter):
    """Mount on a requests.Session prefix; each request calls the WSGI app directly."""

    def __init__(self, app: WsgiApp) -> None:
        super().__init__()
        self.app = app

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: None | float | tuple[float, float] | tuple[float, None] = None,
        verify: bool | str = True,
        cert: None | bytes | str | tuple[bytes | str, bytes | str] = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Run the request through the app; a sandbox timeout becomes requests' ReadTimeout."""
        del stream, verify, cert, proxies
        environ = _environ(request, _read_timeout(timeout))
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            captured["status"], captured["headers"] = status, headers

        body = b"".join(self.app(environ, start_response))
        headers = CaseInsensitiveDict(dict(captured["headers"]))
        if headers.get(TIMEOUT_HEADER):
            raise requests.exceptions.ReadTimeout("sandbox: read timed out", request=request)
        response = requests.Response()
        response.status_code = int(str(captured["status"]).split(" ", 1)[0])
        response.reason = str(captured["status"]).split(" ", 1)[-1]
        response.headers = headers
        response.raw = io.BytesIO(body)
        response._content = body
        response.url = str(request.url)
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        """Nothing to release."""


def _read_timeout(timeout: object) -> float | None:
    if isinstance(timeout, tuple):
        timeout = timeout[1]
    return float(timeout) if isinstance(timeout, int | float) else None


def _environ(request: requests.PreparedRequest, timeout: float | None) -> dict[str, Any]:
    url = urlsplit(str(request.url))
    body = request.body or b""
    data = body.encode() if isinstance(body, str) else bytes(body)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": str(request.method),
        "PATH_INFO": url.path or "/",
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname or "sandbox",
        "SERVER_PORT": str(url.port or 80),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": request.headers.get("Content-Type", ""),
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        "wsgi.url_scheme": url.scheme or "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "sandbox.in_process": True,
        "sandbox.timeout": timeout,
    }
    for key, value in request.headers.items():
        name = key.upper().replace("-", "_")
        if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[f"HTTP_{name}"] = value
    environ.setdefault("HTTP_HOST", url.netloc)
    return environ
