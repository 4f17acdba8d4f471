"""Background jobs for staff: see failed (or any) jobs and put a failed one back on the queue."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from freight.deps import SessionDep, StaffDep
from freight.jobs import service
from freight.jobs.schemas import JobOut

router = APIRouter(prefix="/api/v1", tags=["jobs"])

JobStatus = Literal["pending", "queued", "running", "retrying", "succeeded", "failed"]


@router.get("/jobs", response_model=list[JobOut])
def list_jobs(
    session: SessionDep,
    _: StaffDep,
    status: JobStatus | None = None,
    task: Annotated[str | None, Query(max_length=100)] = None,
    limit: int = Query(100, ge=1, le=500),
) -> list[JobOut]:
    """Jobs newest first; `?status=failed` is the list of work that needs a person."""
    return [
        JobOut.model_validate(j)
        for j in service.list_jobs(session, status=status, task=task, limit=limit)
    ]


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: str, session: SessionDep, _: StaffDep) -> JobOut:
    """One job with its last error."""
    return JobOut.model_validate(service.get_job(session, job_id))


@router.post("/jobs/{job_id}/retry", response_model=JobOut, status_code=202)
def retry_job(job_id: str, session: SessionDep, _: StaffDep) -> JobOut:
    """Queue a failed job again (409 unless it is failed); it runs once the request commits."""
    return JobOut.model_validate(service.retry_job(session, job_id=job_id))
