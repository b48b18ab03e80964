"""Jobs: the state of long work started by the API or the pages (matching runs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from fairshare.api.auth import CtxDep, Principal, require
from fairshare.api.errors import reader_language
from fairshare.api.schemas import JobPublic
from fairshare.i18n import DEFAULT
from fairshare.service.jobs import JobInfo, problem_in
from fairshare.service.roles import Action

router = APIRouter()
JOB_ID = r"^J[0-9a-f]{32}$"


def job_url(job_id: str) -> str:
    """The API URL of a job."""
    return f"/api/v1/jobs/{job_id}"


def job_view(job: JobInfo, lang: str = DEFAULT) -> dict[str, Any]:
    """A job as the API shows it, its problem in ``lang``."""
    return {"id": job.id, "kind": job.kind, "status": job.status,
            "progress": {"step": job.step, "fraction": job.fraction},
            "run_id": job.run_id,
            "run_url": f"/api/v1/runs/{job.run_id}" if job.run_id else None,
            "error": problem_in(job.error, lang) if job.error else None, "params": job.params,
            "created_at": job.created_at, "created_by": job.created_by, "updated_at": job.updated_at,
            "finished_at": job.finished_at}


@router.get("/jobs/{job_id}", response_model=JobPublic, tags=["runs"], summary="A job")
def get_job(job_id: Annotated[str, Path(pattern=JOB_ID)], ctx: CtxDep, request: Request,
            _: Annotated[Principal, Depends(require(Action.create_runs))]) -> dict[str, Any]:
    """Status (queued, running, done, failed), progress (step and fraction), the run's id when
    done, the problem when failed. Only who may create runs sees their jobs."""
    from fairshare.service.jobs import get_job as service_get

    return job_view(service_get(ctx, job_id), reader_language(request))
