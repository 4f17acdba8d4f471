"""Audit trail wire models."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str = Field(description="an email, token:NAME, customer:RR-…, or cli:USER")
    role: str | None
    action: str = Field(description='"METHOD /path/{param}" for API calls; session.sign_in, …')
    target: str | None = Field(description="what was changed: an RR number, a shipment id, …")
    outcome: Literal["succeeded", "failed", "refused", "locked"]
    status_code: int | None
    request_id: str | None
    detail: str | None


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None
