"""Read answers for polling clients: the rendered JSON with a strong `ETag`, and 304 when the
client's `If-None-Match` names it (SPEC §11: the customer page polls GET /track/{rr})."""

from __future__ import annotations

import hashlib
from datetime import datetime

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from freight.errors import NotFoundError
from freight.read_versions import ReadCache, Render, cached

# The answer may be stored by the browser but must be revalidated on every use (it is one
# customer's or staff's view of an RR, and changes when the RR does).
CACHE_CONTROL = "private, no-cache"


def render(model: BaseModel) -> bytes:
    """The JSON bytes FastAPI would send for this response model (by alias, every field)."""
    return model.model_dump_json(by_alias=True).encode()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison; `*` matches any current answer."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def json_answer(request: Request, body: bytes, etag: str | None = None) -> Response:
    """200 with the body and its ETag, or 304 (no body) when the client already has it."""
    etag = etag or etag_of(body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def cached_answer(
    request: Request, session: Session, *, view: str, rr_number: str, now: datetime,
    render: Render,
) -> Response:  # fmt: skip
    """The RR's answer for this view, rendered once per version of the RR (freight.read_versions)
    — one query while nothing changed — with its ETag (304 when the client has it)."""
    cache: ReadCache = request.app.state.read_cache
    found = cached(cache, session, view=view, rr_number=rr_number, now=now, render=render,
                   etag_of=etag_of)  # fmt: skip
    if found is None:
        raise NotFoundError(f"Repair Request {rr_number} does not exist.", rr_number=rr_number)
    return json_answer(request, found.body, found.etag)
