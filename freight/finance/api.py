"""Routes of this feature (filled in by its issue)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
