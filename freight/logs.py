"""Structured logs: one JSON object a line, request/task ids from the context, secrets masked.

Every process (API under gunicorn or uvicorn, worker, beat, CLI) calls `configure_for(settings)`:
application logs go to stderr, the access log (`freight.access`, one line per HTTP request with
its request id) to stdout. Masking happens on the finished line, so a secret is hidden wherever it
appears: a message, an `extra`, an exception's text, a URL's query string.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from freight.settings import Settings

_LOG_CONTEXT: ContextVar[dict[str, str]] = ContextVar("freight_log_context", default={})  # noqa: B039
MASK = "***"
ACCESS_LOGGER = "freight.access"

# Shapes of secrets whatever their value: query parameters, auth schemes, provider keys, URL
# passwords, header values written as `name: value` or JSON. Each runs only when one of its cheap
# substrings is in the (lower-cased) line: most lines need no regular expression at all.
_SECRET_SHAPES: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    (("token=", "key=", "password=", "secret=", "signature="),
     re.compile(r"(?i)([?&](?:token|access_token|api_key|apikey|key|password|secret|signature)=)"
                r"[^&\s\"'#]+"), rf"\1{MASK}"),
    (("bearer", "basic", "shippotoken"),
     re.compile(r"(?i)\b(bearer|basic|shippotoken)(\s+)[A-Za-z0-9._~+/=-]{4,}"), rf"\1\2{MASK}"),
    (("_live_", "_test_"),
     re.compile(r"\b((?:sk|rk|pk|whsec)_(?:live|test)_|shippo_(?:live|test)_)[A-Za-z0-9]+"),
     rf"\1{MASK}"),
    (("@",), re.compile(r"(://[^:/@\s\"]*:)[^@\s\"/]+@"), rf"\1{MASK}@"),
    (("authorization", "cookie", "webhook-token", "csrf"),
     re.compile(r"(?i)((?:authorization|cookie|set-cookie|x-freight-webhook-token|csrf[_-]token)"
                r"[\"']?\s*[:=]\s*[\"']?)[^\"',}\n]+"), rf"\1{MASK}"),
    # Shippo's HMAC header (`t=…,v1=…`: commas inside the value).
    (("auth-signature",),
     re.compile(r"(?i)(auth-signature[\"']?\s*[:=]\s*[\"']?)[^\"'}\n]+"), rf"\1{MASK}"),
    # Our own bearer tokens wherever they stand: API tokens (rrf_…) and customer tokens (cust.…).
    (("rrf_", "cust."),
     re.compile(r"\b(rrf_|cust\.)[A-Za-z0-9_~+/=.-]{16,}"), rf"\1{MASK}"),
)  # fmt: skip


class Redactor:
    """Masks known secret values (from Settings) and secret-shaped text in a finished line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.literals: list[str] = []
        for value in sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True):
            self.literals += [value, json.dumps(value)[1:-1]]  # as written and JSON-escaped

    def __call__(self, text: str) -> str:
        for literal in self.literals:
            if literal in text:
                text = text.replace(literal, MASK)
        lower = text.lower()
        if _ANY_TRIGGER.search(lower) is None:
            return text
        for triggers, pattern, replacement in _SECRET_SHAPES:
            if any(t in lower for t in triggers):
                text = pattern.sub(replacement, text)
        return text


_ANY_TRIGGER = re.compile("|".join(re.escape(t) for ts, _, _ in _SECRET_SHAPES for t in ts))
_REDACT: list[Redactor] = [Redactor()]


def secret_values(settings: Settings) -> list[str]:
    """Every configured secret: keys, tokens, passwords (also those inside URLs)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from freight.settings import SECRET_FIELDS

    values: list[str] = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if not isinstance(value, str):
            continue
        if name in SECRET_FIELDS or name.endswith(("_secret", "_api_key", "_password")):
            values.append(value)
        elif name.endswith("_url") and "@" in value:
            try:
                values.append(make_url(value).password or "")
            except (ArgumentError, ValueError):  # not a URL SQLAlchemy reads (smtp://…)
                continue  # the shape rule still masks it
    return values


@contextmanager
def log_context(**values: object) -> Iterator[None]:
    """Add ids (request_id, task_id, job_id …) to every log record written inside the block."""
    token = _LOG_CONTEXT.set({**_LOG_CONTEXT.get(), **{k: str(v) for k, v in values.items()}})
    try:
        yield
    finally:
        _LOG_CONTEXT.reset(token)


def current_context() -> dict[str, str]:
    return dict(_LOG_CONTEXT.get())


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event, the context ids, any `extra`."""

    _SKIP = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}
    converter = time.gmtime  # type: ignore[assignment]

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "event": record.getMessage(),
            **_LOG_CONTEXT.get(),
        }
        out.update({k: v for k, v in record.__dict__.items() if k not in self._SKIP})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return _REDACT[0](json.dumps(out, default=str))


def _handler(stream: Any) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    return handler


# Servers' own loggers: their records go through the root JSON handler, INFO included. uvicorn's
# access log is replaced by ours (request id, duration, masked URL).
_SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "gunicorn", "gunicorn.error", "celery")
_SILENCED = ("uvicorn.access", "gunicorn.access")


def set_redaction(secrets: Iterable[str]) -> None:
    """The secret values every JSON line of this process is masked for."""
    _REDACT[0] = Redactor(secrets)


def configure_logging(level: str = "INFO", *, secrets: Iterable[str] = ()) -> None:
    """JSON lines on stderr (access log on stdout) for the API, worker, beat and CLI."""
    set_redaction(secrets)
    root = logging.getLogger()
    root.handlers[:] = [_handler(sys.stderr)]
    root.setLevel(level.upper())
    for name in _SERVER_LOGGERS:
        server = logging.getLogger(name)
        server.handlers[:] = []
        server.propagate = True
        server.setLevel(logging.NOTSET)
    for name in _SILENCED:
        silenced = logging.getLogger(name)
        silenced.handlers[:] = []
        silenced.propagate = False
        silenced.setLevel(logging.CRITICAL + 1)
    access = logging.getLogger(ACCESS_LOGGER)
    access.handlers[:] = [_handler(sys.stdout)]
    access.propagate = False
    access.setLevel(logging.INFO)


def configure_for(settings: Settings) -> None:
    """configure_logging with this deployment's level, secrets and access-log choice."""
    configure_logging(settings.log_level, secrets=secret_values(settings))
    if not settings.access_log:
        logging.getLogger(ACCESS_LOGGER).setLevel(logging.CRITICAL + 1)


def log_startup_warnings(settings: Settings) -> None:
    """Say once, at start, what an operator must know (test keys, sandboxes allowed …)."""
    log = logging.getLogger("freight.settings")
    for warning in settings.startup_warnings():
        log.warning("settings.warning %s", warning)


def gunicorn_logconfig(level: str) -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: its master and worker records in the same JSON lines."""
    formatter = {"()": f"{__name__}.JsonFormatter"}
    stderr = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": formatter},
        "handlers": {"stderr": stderr},
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            # UvicornWorker copies these loggers' handlers onto uvicorn's own
            "gunicorn.error": {"level": level.upper(), "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }
