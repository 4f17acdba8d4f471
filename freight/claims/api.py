"""Claims queue routes (staff): list by status/carrier, move through the claim lifecycle."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from freight.claims import service
from freight.claims.rules import ClaimStatus
from freight.claims.schemas import ClaimOut, ClaimStatusIn
from freight.claims.views import claim_staff
from freight.deps import NowDep, SessionDep, SettingsDep, StaffDep
from freight.errors import NotFoundError
from freight.problems import problem_responses

PHOTO_NAME = r"^[0-9a-f]{16}\.[a-z0-9]{2,5}$"  # as stored: sha256 prefix + extension

router = APIRouter(prefix="/api/v1", tags=["claims"])


@router.get("/claims", response_model=list[ClaimOut])
def list_claims(
    _: StaffDep,
    session: SessionDep,
    status: ClaimStatus | None = None,
    carrier: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[ClaimOut]:
    """The claims queue, earliest filing deadline first."""
    rows = service.list_claims(session, status=status, carrier=carrier, limit=limit)
    return [claim_staff(claim, rr_number) for claim, rr_number in rows]


@router.get("/claims/{claim_id}", response_model=ClaimOut)
def get_claim(claim_id: str, _: StaffDep, session: SessionDep) -> ClaimOut:
    """One claim with its notes and photos."""
    claim = service.get_claim(session, claim_id)
    return claim_staff(claim, service.rr_number_of(session, claim))


@router.get(
    "/claims/{claim_id}/photos/{name}", response_class=Response,
    responses={200: {"content": {"image/*": {}}, "description": "The photo as it was sent"},
               **problem_responses(401, 403, 404)},
)  # fmt: skip
def claim_photo(
    claim_id: str, name: Annotated[str, Path(pattern=PHOTO_NAME, max_length=40)], _: StaffDep,
    session: SessionDep, settings: SettingsDep,
) -> Response:  # fmt: skip
    """One evidence photo of a claim (the names are in the claim's `photos`)."""
    claim = service.get_claim(session, claim_id)
    photo = next(
        (p for p in (claim.details or {}).get("photos", []) if p.get("file") == name), None
    )
    path = settings.data_dir / "claims" / claim.id / name
    if photo is None or not path.is_file():
        raise NotFoundError(f"Claim {claim_id} has no photo {name}.", claim_id=claim_id)
    return Response(path.read_bytes(), media_type=str(photo["media_type"]),
                    headers={"Cache-Control": "private, max-age=3600"})  # fmt: skip


@router.post("/claims/{claim_id}", response_model=ClaimOut)
def change_claim_status(
    claim_id: str, body: ClaimStatusIn, who: StaffDep, session: SessionDep, now: NowDep
) -> ClaimOut:
    """Move a claim open → notified → filed → closed (409 naming the allowed moves)."""
    claim = service.change_status(
        session, claim_id=claim_id, target=body.status, note=body.note, actor=who.name, now=now
    )
    return claim_staff(claim, service.rr_number_of(session, claim))
