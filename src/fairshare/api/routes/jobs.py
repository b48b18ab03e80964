"""Jobs: the state of long work started by the API or the pages (matching runs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from fairshare.api.auth import CtxDep, Principal, require
from fairshare.api.schemas import JobPublic
from fairshare.service.jobs import JobInfo
from fairshare.service.roles import Action

router = APIRouter()
JOB_ID = r"^J[0-9a-f]{32}$"


def job_url(job_id: str) -> str:
    """The API URL of a job."""
    return f"/api/v1/jobs/{job_id}"


def job_view(job: JobInfo) -> dict[str, Any]:
    """A job as the API and the job page show it."""
    return {"id": job.id, "kind": job.kind, "status": job.status,
            "progress": {"step": job.step, "fraction": job.fraction},
            "run_id": job.run_id,
            "run_url": f"/api/v1/runs/{job.run_id}" if job.run_id else None,
            "error": job.error, "params": job.params, "created_at": job.created_at,
            "created_by": job.created_by, "updated_at": job.updated_at,
            "finished_at": job.finished_at}


@router.get("/jobs/{job_id}", response_model=JobPublic, tags=["runs"], summary="A job")
def get_job(job_id: Annotated[str, Path(pattern=JOB_ID)], ctx: CtxDep,
            _: Annotated[Principal, Depends(require(Action.create_runs))]) -> dict[str, Any]:
    """Status (queued, running, done, failed), progress (step and fraction), the run's id when
    done, the problem when failed. Only who may create runs sees their jobs."""
    from fairshare.service.jobs import get_job as service_get

    return job_view(service_get(ctx, job_id))
