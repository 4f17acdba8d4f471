"""Customer emails: enqueue (deduplicated, after commit), render, send by SMTP or to the outbox."""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session

from freight.depot import depot_lines
from freight.jobs.service import enqueue
from freight.notifications.rules import dedup_key, email_kind, outbox_name, subject_for
from freight.repairs.models import RepairRequest
from freight.settings import Settings

log = logging.getLogger("freight.notifications")
TEMPLATES = Path(__file__).parent / "templates"
SEND_TASK = "notifications.send"


def notify(
    session: Session,
    *,
    rr: RepairRequest,
    kind: str,
    context: Mapping[str, Any] | None = None,
    discriminator: str = "",
) -> None:
    """Queue one email to the RR's customer; a repeated signal (same key) never sends twice."""
    full = {"rr_number": rr.rr_number, "customer_name": rr.customer_name, **dict(context or {})}
    send_email(session, to=rr.customer_email, kind=kind, context=full,
               key=dedup_key(rr.rr_number, kind, discriminator))  # fmt: skip


def send_email(
    session: Session, *, to: str, kind: str, context: Mapping[str, Any], key: str
) -> None:
    """Queue one email to an address (after commit); the same key never sends twice."""
    email_kind(kind)  # an unknown kind is a programming error: fail in the caller's request
    args = {"key": key, "kind": kind, "to": to, "context": dict(context)}
    enqueue(session, task=SEND_TASK, args=args, key=key)


@lru_cache(maxsize=1)
def _html_env() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                       undefined=StrictUndefined)  # fmt: skip


_URL = re.compile(r"https?://[^\s<>\"')]+")


def _html_lines(body: str) -> list[list[tuple[str, str]]]:
    """Paragraphs of the text part as (kind, text) runs: "text" or "link" (escaped by Jinja2)."""
    paragraphs: list[list[tuple[str, str]]] = []
    for block in re.split(r"\n\s*\n", body.strip()):
        runs: list[tuple[str, str]] = []
        for n, line in enumerate(block.splitlines()):
            if n:
                runs.append(("br", ""))
            at = 0
            for m in _URL.finditer(line):
                runs += [("text", line[at : m.start()]), ("link", m.group(0))]
                at = m.end()
            runs.append(("text", line[at:]))
        paragraphs.append(runs)
    return paragraphs


def render_html(subject: str, body: str) -> str:
    """The HTML part: the same words as the text part, links clickable, everything escaped."""
    return (
        _html_env()
        .get_template("_email.html")
        .render(subject=subject, paragraphs=_html_lines(body))
    )


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 - plain-text email, never shown as HTML
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip


def base_context(settings: Settings, rr_number: str) -> dict[str, Any]:
    """What every email may use: the tracking page and the depot address."""
    base = settings.public_base_url.rstrip("/")
    return {
        "tracking_page": f"{base}/track/{rr_number}",
        "lookup_page": f"{base}/track",
        "depot_lines": depot_lines(settings),
    }


def render(settings: Settings, kind: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, plain-text body) for one email."""
    rr_number = str(context.get("rr_number", ""))
    full = {**base_context(settings, rr_number), **context}
    body = _env().get_template(email_kind(kind).template).render(**full)
    return subject_for(kind, full), body


def build_message(
    settings: Settings, *, key: str, kind: str, to: str, context: Mapping[str, Any], now: datetime
) -> EmailMessage:
    """The complete RFC 5322 message."""
    subject, body = render(settings, kind, context)
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(idstring=outbox_name(key).removesuffix(".eml")[-12:])
    msg["X-RR-Number"] = str(context.get("rr_number", ""))
    msg["X-Notification"] = kind
    if context.get("submission_id"):
        msg["X-Submission"] = str(context["submission_id"])
    msg.set_content(body)
    msg.add_alternative(render_html(subject, body), subtype="html")
    return msg


def deliver(settings: Settings, msg: EmailMessage, *, key: str) -> str:
    """Send by SMTP when configured, else write one .eml into <data_dir>/outbox/; returns where."""
    if settings.smtp_url:
        _smtp_send(settings.smtp_url, msg)
        return "smtp"
    outbox = settings.data_dir / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / outbox_name(key)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(bytes(msg))
    tmp.replace(path)  # atomic: a reader never sees half a message
    return str(path)


def _smtp_send(url: str, msg: EmailMessage) -> None:
    """smtp://[user:pass@]host[:port][?starttls=true] or smtps://… (implicit TLS)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host, timeout = parts.hostname or "localhost", 15.0
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, parts.port or 465, timeout=timeout)
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=timeout)
    with client:
        if query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"):
            client.starttls()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(msg)
