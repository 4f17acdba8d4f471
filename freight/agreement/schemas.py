"""Policy wire model."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class PolicyOut(BaseModel):
    version: str = Field(description="Send this as policy_version with a request (P-AGREE)")
    effective_date: date
    sha256: str = Field(description="sha256 of the policy text (UTF-8)")
    text: str
