"""Matching runs, recommendations with explanations, human decisions and transfers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from fairshare.api.auth import CtxDep, Principal, require, settings_of
from fairshare.api.routes.jobs import job_url
from fairshare.api.schemas import (
    AssignmentCreate,
    DecisionCreate,
    DecisionPublic,
    JobAccepted,
    RecommendationDetail,
    ReplayPublic,
    RunCreate,
    RunDetailPublic,
    RunPublic,
    RunReport,
    RunSummary,
    TransferPublic,
)
from fairshare.service import run_views
from fairshare.service.roles import Action

router = APIRouter()
Reader = Annotated[Principal, Depends(require(Action.read_runs))]


@router.get("/runs", response_model=list[RunPublic], tags=["runs"], summary="Matching runs")
def list_runs(ctx: CtxDep, _: Reader) -> list[dict[str, Any]]:
    """Every run, newest first, with its inputs' hash, policy, key and versions."""
    return run_views.list_run_records(ctx)


@router.post("/runs", response_model=JobAccepted, status_code=202, tags=["runs"],
             summary="Create a matching run (as a job)",
             responses={201: {"model": RunPublic,
                              "description": "With `?wait=true`: the run, once made."}})
def create_run(request: Request, body: RunCreate, ctx: CtxDep,
               principal: Annotated[Principal, Depends(require(Action.create_runs))],
               wait: Annotated[bool, Query(description="Solve within the request and answer "
                                                       "201 with the run (blocks until it is "
                                                       "made).")] = False) -> Response:
    """Check the request at once (bad input: 4xx), then solve over the consenting, waiting
    families and active offers as a job: 202 with ``Location: /api/v1/jobs/{id}``; poll that
    URL for progress and the run's id. Recommendations stay pending until a person decides."""
    from fairshare.service.jobs import JobRunner
    from fairshare.service.runs import check_run_request, execute_run

    checked = check_run_request(ctx, policy=body.policy, key=body.key, solver=body.solver,
                                actor=principal.actor, model=body.model, online=body.online)
    if wait:
        detail = execute_run(ctx, checked)
        return JSONResponse(status_code=201, content=jsonable_encoder(
            RunPublic.model_validate({**detail.run.as_dict(), "model": detail.model})))
    runner: JobRunner = request.app.state.jobs
    job = runner.submit_run(checked)
    url = job_url(job.id)
    return JSONResponse(status_code=202, headers={"Location": url},
                        content={"job": {"id": job.id, "status": job.status, "url": url}})


@router.get("/runs/{run_id}", response_model=RunDetailPublic, tags=["runs"], summary="One run")
def get_run(run_id: str, ctx: CtxDep, principal: Reader,
            limit: Annotated[int, Query(ge=1, le=5000)] = 500,
            offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict[str, Any]:
    """The run and a page of the recommendations you may see (officers: to or from their
    jurisdiction), by family id."""
    return run_views.run_page(ctx, run_id=run_id, scope=principal.scope, limit=limit,
                              offset=offset)


@router.get("/runs/{run_id}/summary", response_model=RunSummary, tags=["runs"],
            summary="A run's plan in aggregate")
def get_run_summary(request: Request, run_id: str, ctx: CtxDep,
                    principal: Annotated[Principal, Depends(require(Action.read_aggregates))]
                    ) -> dict[str, Any]:
    """Families and persons per destination against remaining capacity (small cells
    suppressed for analysts)."""
    return run_views.run_summary(ctx, run_id=run_id, aggregates_only=principal.aggregates_only,
                                 small_cell=settings_of(request).small_cell_threshold)


@router.get("/runs/{run_id}/report", response_model=RunReport, tags=["runs"],
            summary="A run's plan against the baselines")
def get_run_report(run_id: str, ctx: CtxDep, _: Reader) -> dict[str, Any]:
    """Persons placed and predicted outcome against greedy, status quo, random and deferred
    acceptance; placements per destination against capacity and fair-share targets (404 when
    the run's snapshot was purged)."""
    from fairshare.errors import NotFoundError
    from fairshare.i18n import msg
    from fairshare.service.reports import run_report

    report = run_report(ctx, run_id)
    if report is None:
        raise NotFoundError(msg("api_run_no_snapshot", run=run_id))
    return report


@router.post("/runs/{run_id}/replay", response_model=ReplayPublic, tags=["runs"],
             summary="Replay a run")
def replay_run(request: Request, run_id: str, ctx: CtxDep,
               _: Annotated[Principal, Depends(require(Action.replay_runs))]) -> dict[str, Any]:
    """Re-solve the stored snapshot and compare with the stored plan (changes nothing); the
    differences in the Accept-Language."""
    from fairshare.api.errors import reader_language
    from fairshare.service import replay_run as service_replay

    return service_replay(ctx, run_id=run_id).as_dict(reader_language(request))


@router.get("/runs/{run_id}/recommendations/{family_id}", response_model=RecommendationDetail,
            tags=["runs"], summary="A recommendation with its explanation")
def get_recommendation(run_id: str, family_id: str, ctx: CtxDep,
                       principal: Annotated[Principal,
                                            Depends(require(Action.read_recommendations))]
                       ) -> dict[str, Any]:
    """The explanation in English and French; opening it is recorded (a decision needs it)."""
    from fairshare.service import open_explanation

    return open_explanation(ctx, run_id=run_id, family_id=family_id, actor=principal.actor,
                            scope=principal.scope).as_dict()


@router.post("/runs/{run_id}/decisions", response_model=DecisionPublic, status_code=201,
             tags=["runs"], summary="Decide on a recommendation")
def decide(run_id: str, body: DecisionCreate, ctx: CtxDep,
           principal: Annotated[Principal, Depends(require(Action.decide))]) -> dict[str, Any]:
    """Accept or override (with a reason); only after you opened the explanation."""
    from fairshare.service import decide as service_decide

    return service_decide(ctx, run_id=run_id, family_id=body.family_id, kind=body.kind,
                          reason=body.reason, decided_by=principal.actor, to=body.to,
                          reason_code=body.reason_code, scope=principal.scope).as_dict()


@router.post("/assignments", response_model=DecisionPublic, status_code=201, tags=["runs"],
             summary="Assign a family by hand")
def assign(body: AssignmentCreate, ctx: CtxDep,
           principal: Annotated[Principal, Depends(require(Action.decide))]) -> dict[str, Any]:
    """A manual placement with its reason (works when recommendations are switched off)."""
    from fairshare.service import assign as service_assign

    return service_assign(ctx, family_id=body.family_id, to=body.to, reason=body.reason,
                          decided_by=principal.actor, reason_code=body.reason_code,
                          scope=principal.scope).as_dict()


@router.get("/transfers", response_model=list[TransferPublic], tags=["runs"],
            summary="Transfers")
def list_transfers(ctx: CtxDep,
                   principal: Annotated[Principal, Depends(require(Action.read_transfers))]
                   ) -> list[dict[str, Any]]:
    """Recorded transfers (officers: from or to their jurisdiction)."""
    return run_views.transfers_in_scope(ctx, scope=principal.scope)
