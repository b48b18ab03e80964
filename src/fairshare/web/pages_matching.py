"""Pages for matching: runs, the plan against capacity, explanations, decisions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fairshare.api.auth import context_of, permits, settings_of
from fairshare.i18n import N_, msg
from fairshare.matching.report import plan_name
from fairshare.service import readmodels, run_views, views
from fairshare.service.roles import Action
from fairshare.web.pages import PagePrincipal, require_form_csrf
from fairshare.web.pages_registry import _need
from fairshare.web.render import page, translator

router = APIRouter(include_in_schema=False)
POLICIES = ("balanced", "outcome", "preference-first")
SOLVERS = ("auto", "exact", "fast", "greedy")
# Reason codes of an override or a manual assignment (the service's list, without "recommended").
REASON_CODES = ("family-ties", "health", "safety", "language", "employment", "housing",
                "preference", "capacity", "other")
CsrfField = Annotated[str, Form(max_length=200)]
PAGE_SIZE = 200
BASELINES_INLINE_FAMILIES = 5_000  # larger runs compare with the baselines on request
JOB_STEPS = ("queued", "reading", "scoring", "solving", "explaining", "writing", "done",
             "failed", "interrupted")
STEP_LABELS = {"queued": N_("job_step_queued"), "reading": N_("job_step_reading"),
               "scoring": N_("job_step_scoring"), "solving": N_("job_step_solving"),
               "explaining": N_("job_step_explaining"), "writing": N_("job_step_writing"),
               "done": N_("job_step_done"), "failed": N_("job_step_failed"),
               "interrupted": N_("job_step_interrupted")}
# Why a destination is left out of the override choices, by refusal code (service.destinations).
REFUSAL_TEXTS = {"agreement": N_("i14_refused_agreement"), "consent": N_("i14_refused_consent"),
                 "current": N_("i14_refused_current"), "excluded": N_("i14_refused_excluded"),
                 "no-capacity": N_("i14_refused_no_capacity"),
                 "unknown": N_("i14_refused_unknown")}


@router.get("/matching", response_class=HTMLResponse)
def matching_page(request: Request, principal: PagePrincipal) -> Response:
    """Runs, newest first, and (for coordinators) the form to create one."""
    _need(principal, Action.read_runs)
    keys = readmodels.keys_for_pages(translator(request).lang)
    return page(request, "matching.html", title_key="matching_title", principal=principal,
                runs=run_views.list_run_records(context_of(request)),
                can_create=permits(principal, Action.create_runs), policies=POLICIES,
                solvers=SOLVERS, keys=keys, models=_model_choices(request),
                can_assign=permits(principal, Action.decide),
                recommendations_on=settings_of(request).recommendations,
                reason_codes=REASON_CODES,
                destinations=[{"code": j["code"], "label": translator(request).name(j)}
                              for j in readmodels.jurisdictions()])


def _model_choices(request: Request) -> list[dict[str, str]]:
    """The run form's model choices: the latest model first (the default), then the others,
    then the default scorer."""
    from fairshare.service import list_models

    t = translator(request)
    stored = list_models(context_of(request))
    latest = f"{stored[0].id} {stored[0].name}" if stored else ""
    choices = [{"id": "", "label": t("model_latest", name=latest)}] if stored else []
    choices += [{"id": m.id, "label": f"{m.id} {m.name}"} for m in stored]
    return [*choices, {"id": "default", "label": t("model_default_scorer")}]


@router.post("/matching/runs")
def create_run(request: Request, principal: PagePrincipal,  # nosec B107 # empty form default, not a password
               policy: Annotated[str, Form(max_length=40)] = "balanced",
               key: Annotated[str, Form(max_length=100)] = "canada-population",
               solver: Annotated[str, Form(max_length=20)] = "auto",
               model: Annotated[str, Form(max_length=32)] = "",
               online: Annotated[str, Form(max_length=8)] = "",
               csrf_token: CsrfField = "") -> Response:
    """Check the request, start the run as a job and go to the job's page (``model``: empty
    for the latest model; ``online``: checked to use the latest destination prices)."""
    from fairshare.errors import InputError
    from fairshare.service.runs import check_run_request

    _need(principal, Action.create_runs)
    require_form_csrf(principal, csrf_token)
    known_keys = {k["id"] for k in readmodels.keys_list()}
    if policy not in POLICIES or solver not in SOLVERS or key not in known_keys:
        raise InputError(msg("error_choose_run_options", policies=", ".join(POLICIES),
                             solvers=", ".join(SOLVERS)))
    checked = check_run_request(context_of(request), policy=policy, key=key, solver=solver,
                                actor=principal.actor, model=model or None,
                                online=online == "on")
    job = request.app.state.jobs.submit_run(checked)
    return RedirectResponse(url=f"/matching/jobs/{job.id}", status_code=303)


@router.get("/matching/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str, principal: PagePrincipal) -> Response:
    """A run's job: its progress while it works (reloads itself; job.js updates it without
    reloading), the run once done, the problem if it failed."""
    from fairshare.api.routes.jobs import job_url
    from fairshare.service.jobs import get_job, problem_in

    _need(principal, Action.create_runs)
    job = get_job(context_of(request), job_id)
    if job.status == "done" and job.run_id:
        return RedirectResponse(url=f"/matching/runs/{job.run_id}?done=run_created",
                                status_code=303)
    t = translator(request)
    problem = problem_in(job.error, t.lang) if job.error else None
    return page(request, "job.html", title_key=N_("job_title"), principal=principal, job=job,
                problem=problem,
                job_url=job_url(job.id), percent=round(100 * job.fraction),
                step=t(STEP_LABELS[job.step]) if job.step in STEP_LABELS else job.step,
                step_labels={s: t(STEP_LABELS[s]) for s in JOB_STEPS}, active="/matching")


@router.post("/matching/assign")
def assign(request: Request, principal: PagePrincipal,  # nosec B107 # empty form default, not a password
           family_id: Annotated[str, Form(min_length=1, max_length=200)],
           to: Annotated[str, Form(min_length=2, max_length=2, pattern="^[A-Z]{2}$")],
           reason_code: Annotated[str, Form(max_length=40)],
           reason: Annotated[str, Form(min_length=3, max_length=2000)],
           csrf_token: CsrfField = "") -> Response:
    """Place a family by hand (works when recommendations are switched off)."""
    from fairshare.errors import InputError
    from fairshare.service import assign as service_assign

    _need(principal, Action.decide)
    require_form_csrf(principal, csrf_token)
    if reason_code not in REASON_CODES:
        raise InputError(msg("error_choose_reason_code", codes=", ".join(REASON_CODES)))
    service_assign(context_of(request), family_id=family_id.strip(), to=to, reason=reason,
                   decided_by=principal.actor, reason_code=reason_code, scope=principal.scope)
    return RedirectResponse(url="/matching?done=decided", status_code=303)


@router.get("/matching/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str, principal: PagePrincipal, offset: int = 0,
             baselines: bool = False) -> Response:
    """The plan per destination against capacity and fulfilment, and each recommendation
    (PAGE_SIZE per page)."""
    _need(principal, Action.read_runs)
    t = translator(request)
    ctx = context_of(request)
    offset = max(0, min(offset, 10_000_000))
    detail = run_views.run_page(ctx, run_id=run_id, scope=principal.scope, limit=PAGE_SIZE,
                                offset=offset)
    summary = run_views.run_summary(ctx, run_id=run_id, aggregates_only=principal.aggregates_only,
                                    small_cell=settings_of(request).small_cell_threshold)
    names = {j["code"]: j for j in readmodels.jurisdictions()}
    balance = readmodels.balance(detail["run"]["key"], "2019-2024", True, "hamilton", False,
                                 views.ledger_flows(ctx))
    fulfilment = {r["code"]: r["fulfilment"] for r in balance["rows"]}
    rows = [{"label": t.name(names[d["destination"]]) if d["destination"] in names else t("stays"),
             "families": t.number(d["families"]), "persons": t.number(d["persons"]),
             "capacity": t.number(d["capacity_remaining"]),
             "fulfilment": t.number(fulfilment.get(d["destination"]), 2)}
            for d in summary["destinations"]]
    run = detail["run"]
    from fairshare.service.reports import run_report

    quick = run["families"] <= BASELINES_INLINE_FAMILIES
    report = run_report(ctx, run_id, compute=quick or baselines)
    comparison = [{"plan": t(plan_name(c["plan"])), "persons": t.number(c["persons_placed"]),
                   "total": t.number(c["total_outcome"], 1), "mean": t.number(c["mean_outcome"], 3),
                   "violations": c["violations"]} for c in (report or {}).get("comparison", [])]
    targets = {d["destination"]: d for d in (report or {}).get("destinations", [])}
    for row, d in zip(rows, summary["destinations"], strict=True):
        target = targets.get(d["destination"])
        row["shortfall"] = t.number(target["shortfall"]) if target and target["shortfall"] \
            is not None else "—"
    return page(request, "run.html", title_key="run_title", principal=principal, run=run,
                objective=t.number(run["objective"], 3), summary=rows, comparison=comparison,
                offer_baselines=report is None and not baselines,
                recs=detail["recommendations"], total=detail["total"], offset=offset,
                previous=max(0, offset - PAGE_SIZE) if offset else None,
                next=offset + PAGE_SIZE if offset + PAGE_SIZE < detail["total"] else None,
                can_read_recs=permits(principal, Action.read_recommendations),
                active="/matching")


def _components(t: Any, comp: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not comp:
        return []
    return [(t.label("factor_", k), t.number(v, 3)) for k, v in comp.items()
            if isinstance(v, int | float)]


@router.get("/matching/runs/{run_id}/families/{family_id}", response_class=HTMLResponse)
def explanation_page(request: Request, run_id: str, family_id: str,
                     principal: PagePrincipal) -> Response:
    """The family's explanation (opening it enables the decision)."""
    _need(principal, Action.read_recommendations)
    t = translator(request)
    from fairshare.service import open_explanation

    rec = open_explanation(context_of(request), run_id=run_id, family_id=family_id,
                           actor=principal.actor, scope=principal.scope).as_dict()
    expl = rec.get("explanation") or {}
    alternatives = [{"destination": a["destination"],
                     "score": t.number(a["score"], 3) if a.get("score") is not None else "—",
                     "why": a.get(f"why_not_{t.lang}") or a.get("why_not_en", "")}
                    for a in expl.get("alternatives", [])]
    rank = expl.get("preference_rank")
    can_decide = permits(principal, Action.decide) and rec["status"] == "pending"
    choices = _decision_choices(request, principal, run_id, family_id) if can_decide else None
    return page(request, "explanation.html", title_key="explanation_title", principal=principal,
                rec=rec, text=expl.get(t.lang) or expl.get("en") or t("no_explanation"),
                components=_components(t, expl.get("components")), alternatives=alternatives,
                rank=rank if rank else t("not_ranked"), choices=choices,
                reason_codes=REASON_CODES, can_decide=can_decide, active="/matching")


def refusal_text(t: Any, refusal: Any, *, code: str, size: int) -> str:
    """A service refusal (:class:`fairshare.service.destinations.Refusal`) in the page language."""
    key = REFUSAL_TEXTS.get(refusal.code, f"i14_refused_{refusal.code.replace('-', '_')}")
    return str(t(key, code=code, size=size))


def _decision_choices(request: Request, principal: PagePrincipal, run_id: str,
                      family_id: str) -> dict[str, Any]:
    """The decision form's choices: the destinations the service accepts now, and each one it
    refuses with the reason (:func:`fairshare.service.decision_options`)."""
    from fairshare.service import decision_options

    t = translator(request)
    options = decision_options(context_of(request), run_id=run_id, family_id=family_id,
                               scope=principal.scope)
    names = {j["code"]: j for j in readmodels.jurisdictions()}

    def label(code: str) -> str:
        return t.name(names[code]) if code in names else code

    by_code = {c.code: c for c in options.choices}
    recommended = by_code.get(options.recommended or "")
    return {
        "open": [{"code": c, "label": label(c)} for c in options.open
                 if c != options.recommended],
        "refused": [{"code": c.code, "label": label(c.code),
                     "reason": refusal_text(t, c.refusal, code=c.code, size=options.persons)}
                    for c in options.refused],
        "stay_refused": None if options.stay is None else refusal_text(
            t, options.stay, code=options.current, size=options.persons),
        "accept_refused": None if recommended is None or recommended.refusal is None
        else refusal_text(t, recommended.refusal, code=recommended.code, size=options.persons)}


@router.post("/matching/runs/{run_id}/families/{family_id}/decide")
# The empty default is a form field's (note or CSRF token), not a password.
def decide(request: Request, run_id: str, family_id: str, principal: PagePrincipal,  # nosec B107
           kind: Annotated[str, Form(pattern="^(accept|override)$")],
           reason: Annotated[str, Form(min_length=3, max_length=2000)],
           to: Annotated[str, Form(max_length=8)] = "",
           reason_code: Annotated[str, Form(max_length=40)] = "",
           csrf_token: CsrfField = "") -> Response:
    """Record the decision and go back to the run."""
    from fairshare.errors import InputError

    _need(principal, Action.decide)
    require_form_csrf(principal, csrf_token)
    code: str | None = None
    if kind == "override":
        if reason_code not in REASON_CODES:
            raise InputError(msg("error_choose_reason_code", codes=", ".join(REASON_CODES)))
        code = reason_code
    if to and not (len(to) == 2 and to.isalpha()):
        raise InputError(msg("error_choose_destination"))
    from fairshare.service import decide as service_decide

    service_decide(context_of(request), run_id=run_id, family_id=family_id, kind=kind,
                   reason=reason, decided_by=principal.actor, to=to.upper() or None,
                   reason_code=code, scope=principal.scope)
    return RedirectResponse(url=f"/matching/runs/{run_id}?done=decided", status_code=303)


@router.get("/summaries", response_class=HTMLResponse)
def summaries_page(request: Request, principal: PagePrincipal) -> Response:
    """The runs, each linked to its summary in aggregate (the analyst's runs list)."""
    _need(principal, Action.read_aggregates)
    runs = [{k: r[k] for k in ("id", "created_at", "policy", "key", "status")}
            for r in run_views.list_run_records(context_of(request)) if r["policy"] != "manual"]
    return page(request, "summaries.html", title_key=N_("i14_summaries_title"), principal=principal,
                runs=runs, active="/summaries")


@router.get("/summaries/{run_id}", response_class=HTMLResponse)
def summary_page(request: Request, run_id: str, principal: PagePrincipal) -> Response:
    """A run's plan in aggregate: families and persons per destination against the capacity
    left, small cells suppressed for analysts exactly as ``GET /api/v1/runs/{id}/summary``."""
    _need(principal, Action.read_aggregates)
    t = translator(request)
    summary = run_views.run_summary(context_of(request), run_id=run_id,
                                    aggregates_only=principal.aggregates_only,
                                    small_cell=settings_of(request).small_cell_threshold)
    names = {j["code"]: j for j in readmodels.jurisdictions()}

    def count(value: int | str | None) -> str:
        return value if isinstance(value, str) else t.number(value)

    rows = [{"label": t.name(names[d["destination"]]) if d["destination"] in names
             else t("stays") if d["destination"] == "stay" else d["destination"],
             "families": count(d["families"]), "persons": count(d["persons"]),
             "capacity": count(d["capacity_remaining"])} for d in summary["destinations"]]
    return page(request, "summary.html", title_key=N_("i14_summary_title"), principal=principal,
                summary=summary, rows=rows, objective=t.number(summary["objective"], 3),
                small_cell=settings_of(request).small_cell_threshold,
                suppressed=principal.aggregates_only, active="/summaries")
