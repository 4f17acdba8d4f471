"""GET /api/v1/policy: the Return Policy a customer agrees to (anyone)."""

from __future__ import annotations

from fastapi import APIRouter

from freight.agreement.schemas import PolicyOut
from freight.agreement.service import current_policy
from freight.deps import SettingsDep

router = APIRouter(prefix="/api/v1", tags=["policy"])


@router.get("/policy", response_model=PolicyOut)
def get_policy(settings: SettingsDep) -> PolicyOut:
    """The current Return Policy text, its version and sha256 (accept it to submit a request)."""
    doc = current_policy(settings)
    return PolicyOut(
        version=doc.version, effective_date=doc.effective_date, sha256=doc.sha256, text=doc.text
    )
