"""Pages for the registry: batch upload (validate, import) and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from fairshare.api.auth import Principal, context_of, permits
from fairshare.api.routes.registry import read_upload
from fairshare.errors import FairshareError
from fairshare.i18n import N_
from fairshare.service.roles import Action
from fairshare.web.pages import PagePrincipal, deny_role, require_form_csrf
from fairshare.web.render import language, page, translator

router = APIRouter(include_in_schema=False)
CsrfField = Annotated[str, Form(max_length=200)]
AgreementField = Annotated[str, Form(min_length=1, max_length=64)]

# A party's role as agreements.html names it (t("i14_role_" + role)).
PARTY_ROLES = (N_("i14_role_provider"), N_("i14_role_recipient"))


def _need(principal: Principal, action: Action) -> None:
    if not permits(principal, action):
        raise deny_role()


def _agreements(request: Request) -> list[dict[str, Any]]:
    from fairshare.service import list_agreements

    return [a.as_dict() for a in list_agreements(context_of(request))]


@router.get("/batch", response_class=HTMLResponse)
def batch_page(request: Request, principal: PagePrincipal) -> Response:
    """Upload a claimants file, read the validation report, import."""
    _need(principal, Action.import_claimants)
    return page(request, "batch.html", title_key="batch_title", principal=principal,
                agreements=_agreements(request), agreement_id=None, report=None, result=None)


async def _batch_post(request: Request, principal: Principal, file: UploadFile, agreement_id: str,
                      csrf_token: str, *, do_import: bool) -> Response:
    _need(principal, Action.import_claimants)
    require_form_csrf(principal, csrf_token)
    document = await read_upload(request, file, "batch.csv")
    ctx = context_of(request)

    def work() -> tuple[dict[str, Any], dict[str, Any] | None]:
        from fairshare.service import check_batch, import_claimants

        report = check_batch(ctx, path=document, agreement_id=agreement_id,
                             scope=principal.scope).report(lang=language(request))
        result = None
        if do_import and report["valid"]:
            result = import_claimants(ctx, path=document, agreement_id=agreement_id,
                                      actor=principal.actor, scope=principal.scope).as_dict()
        return report, result

    try:
        report, result = await run_in_threadpool(work)
    except FairshareError as exc:
        lang = language(request)
        report = {"valid": False, "rows": 0, "families": 0, "more_problems": 0,
                  "problems": [exc.text(lang), *exc.details_in(lang)[:200]]}
        result = None
    status = 200 if report["valid"] else 422
    return page(request, "batch.html", title_key="batch_title", principal=principal,
                agreements=_agreements(request), agreement_id=agreement_id, report=report,
                result=result, status_code=status)


@router.post("/batch/validate", response_class=HTMLResponse)
async def batch_validate(request: Request, principal: PagePrincipal,
                         file: Annotated[UploadFile, File()], agreement_id: AgreementField,
                         csrf_token: CsrfField = "") -> Response:
    """Validate only: the report, nothing stored."""
    return await _batch_post(request, principal, file, agreement_id, csrf_token, do_import=False)


@router.post("/batch/import", response_class=HTMLResponse)
async def batch_import(request: Request, principal: PagePrincipal,
                       file: Annotated[UploadFile, File()], agreement_id: AgreementField,
                       csrf_token: CsrfField = "") -> Response:
    """Validate, then import when valid (all or nothing)."""
    return await _batch_post(request, principal, file, agreement_id, csrf_token, do_import=True)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, principal: PagePrincipal, entity_type: str | None = None,
               entity_id: str | None = None, action: str | None = None) -> Response:
    """Chain status and a filterable log (latest 200 entries)."""
    from fairshare.service import show_audit, verify_audit

    _need(principal, Action.read_audit)
    ctx = context_of(request)
    filters = {"entity_type": (entity_type or "")[:200] or None,
               "entity_id": (entity_id or "")[:200] or None, "action": (action or "")[:200] or None}
    entries = [e.as_dict() for e in show_audit(ctx, limit=200, **filters)]
    entries.reverse()
    return page(request, "audit.html", title_key="audit_title", principal=principal,
                verify=verify_audit(ctx).as_dict(language(request)), entries=entries,
                filters=filters)


def _error_report(exc: FairshareError, lang: str) -> dict[str, Any]:
    """A refused upload as the page shows it: the service's message and every detail (file,
    row, column), as the CLI prints them, in the page's language."""
    details = exc.details_in(lang)
    return {"message": exc.text(lang), "details": details[:200],
            "more": max(0, len(details) - 200)}


CAPACITY_COLUMNS = ("offer_id, jurisdiction, period, persons, units_1_2, units_3_4, units_5_plus, "
                    "services, expires_on")


def _capacity_hint(request: Request) -> Markup:
    """The upload's hint: words translated, column names and commands as code (not words)."""
    text = translator(request)(N_("i14_capacity_file_hint"))  # placeholders left unfilled

    def code(value: str) -> Markup:
        return Markup('<code translate="no">{}</code>').format(value)

    return escape(text).format(columns=code(CAPACITY_COLUMNS),
                               add=code("fairshare capacity add"),
                               example=code("fairshare synth capacity"))


def _capacity_page(request: Request, principal: Principal, *, added: list[str] | None = None,
                   error: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    from fairshare.service import list_capacity

    offers = [c.as_dict() for c in list_capacity(context_of(request))]
    return page(request, "capacity.html", title_key=N_("i14_capacity_title"), principal=principal,
                offers=offers, added=added, error=error, status_code=status_code,
                hint=_capacity_hint(request),
                can_add=permits(principal, Action.manage_capacity), active="/capacity")


@router.get("/capacity", response_class=HTMLResponse)
def capacity_page(request: Request, principal: PagePrincipal) -> Response:
    """Capacity offers with what transfers used and what is left, and the upload form."""
    _need(principal, Action.read_capacity)
    return _capacity_page(request, principal)


@router.post("/capacity/add", response_class=HTMLResponse)
async def capacity_add(request: Request, principal: PagePrincipal,
                       file: Annotated[UploadFile, File()], csrf_token: CsrfField = "") -> Response:
    """Store the offers of a capacity CSV (the format of ``fairshare capacity add``), all or
    nothing; a refused file is shown on the page with every problem, and nothing is stored."""
    from fairshare.service import add_capacity

    _need(principal, Action.manage_capacity)
    require_form_csrf(principal, csrf_token)
    ctx = context_of(request)
    try:
        document = await read_upload(request, file, "capacity.csv")
        before = {c.id for c in await run_in_threadpool(_list_capacity, ctx)}
        after = await run_in_threadpool(lambda: add_capacity(ctx, path=document,
                                                             actor=principal.actor,
                                                             scope=principal.scope))
    except FairshareError as exc:
        return _capacity_page(request, principal, error=_error_report(exc, language(request)),
                              status_code=_status(exc))
    return _capacity_page(request, principal, added=sorted({c.id for c in after} - before))


def _list_capacity(ctx: Any) -> list[Any]:
    from fairshare.service import list_capacity

    return list_capacity(ctx)


def _status(exc: FairshareError) -> int:
    """The HTTP status the API gives the same error (422, 403, 404 or 409)."""
    from fairshare.api.errors import classify

    return classify(exc)[0]


def _agreements_page(request: Request, principal: Principal, *, done: str | None = None,
                     error: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    return page(request, "agreements.html", title_key=N_("i14_agreements_title"),
                principal=principal, agreements=_agreements(request), done=done, error=error,
                can_manage=permits(principal, Action.manage_agreements), status_code=status_code,
                active="/agreements")


@router.get("/agreements", response_class=HTMLResponse)
def agreements_page(request: Request, principal: PagePrincipal) -> Response:
    """Data-sharing agreements (parties, purpose, fields, validity) and, for coordinators,
    the forms to add and revoke one."""
    _need(principal, Action.read_agreements)
    return _agreements_page(request, principal)


@router.post("/agreements/add", response_class=HTMLResponse)
async def agreements_add(request: Request, principal: PagePrincipal,
                         file: Annotated[UploadFile, File()],
                         csrf_token: CsrfField = "") -> Response:
    """Store an agreement YAML (the format of ``fairshare agreements add``) and create its
    pseudonymisation key; a refused file is shown on the page and nothing is stored."""
    from fairshare.service import add_agreement

    _need(principal, Action.manage_agreements)
    require_form_csrf(principal, csrf_token)
    ctx = context_of(request)
    try:
        document = await read_upload(request, file, "agreement.yaml")
        info = await run_in_threadpool(lambda: add_agreement(ctx, path=document,
                                                             actor=principal.actor))
    except FairshareError as exc:
        return _agreements_page(request, principal, error=_error_report(exc, language(request)),
                                status_code=_status(exc))
    return _agreements_page(request, principal, done=info.id)


@router.post("/agreements/{agreement_id}/revoke", response_class=HTMLResponse)
def agreements_revoke(request: Request, agreement_id: str, principal: PagePrincipal,  # nosec B107 # empty form default, not a password
                      csrf_token: CsrfField = "") -> Response:
    """Revoke an agreement: no import or export under it from now on, and its families leave
    the pool (the button asks for confirmation first)."""
    from fairshare.service import revoke_agreement

    _need(principal, Action.manage_agreements)
    require_form_csrf(principal, csrf_token)
    try:
        revoke_agreement(context_of(request), agreement_id=agreement_id, actor=principal.actor)
    except FairshareError as exc:
        return _agreements_page(request, principal, error=_error_report(exc, language(request)),
                                status_code=_status(exc))
    return _agreements_page(request, principal, done=f"revoked:{agreement_id}")
