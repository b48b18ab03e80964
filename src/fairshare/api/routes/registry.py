"""Registry routes: status, agreements, capacity offers, claimants (import, read, consent)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile

from fairshare.api.auth import CtxDep, Principal, require, settings_of
from fairshare.api.schemas import (
    ID_PATTERN,
    AgreementCreate,
    AgreementPublic,
    CapacityPublic,
    ClaimantPublic,
    ConsentCreate,
    ConsentPublic,
    FamilyPage,
    ImportPublic,
    StatusPublic,
    ValidationReport,
)
from fairshare.errors import InputError
from fairshare.exchange.reader import Document
from fairshare.i18n import Num, msg
from fairshare.service import views
from fairshare.service.roles import Action

router = APIRouter()
AgreementField = Annotated[str, Form(min_length=1, max_length=64, pattern=ID_PATTERN)]
Upload = Annotated[UploadFile, File(description="A claimants file (.csv or .json).")]


async def read_upload(request: Request, upload: UploadFile, default_name: str) -> Document:
    """The upload as a :class:`Document` (name and bytes) for the service, refused beyond the
    configured size."""
    limit = settings_of(request).max_upload_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise InputError(msg("api_upload_too_large", megabytes=Num(limit // (1024 * 1024))))
    return Document(name=upload.filename or default_name, data=data)


@router.get("/status", response_model=StatusPublic, tags=["registry"], summary="Registry counts")
def get_status(request: Request, ctx: CtxDep,
               principal: Annotated[Principal, Depends(require(Action.read_aggregates))]
               ) -> dict[str, Any]:
    """Counts of claimants, families, consents, runs, decisions, transfers, audit entries."""
    return views.status_report(ctx, aggregates_only=principal.aggregates_only,
                               small_cell=settings_of(request).small_cell_threshold)


@router.get("/agreements", response_model=list[AgreementPublic], tags=["agreements"],
            summary="Data-sharing agreements")
def list_agreements(ctx: CtxDep, _: Annotated[Principal, Depends(require(Action.read_agreements))]
                    ) -> list[dict[str, Any]]:
    """Every agreement with its parties, purpose, fields, retention and expiry."""
    from fairshare.service import list_agreements as service_list

    return [a.as_dict() for a in service_list(ctx)]


@router.post("/agreements", response_model=AgreementPublic, status_code=201, tags=["agreements"],
             summary="Add a data-sharing agreement")
def add_agreement(body: AgreementCreate, ctx: CtxDep,
                  principal: Annotated[Principal, Depends(require(Action.manage_agreements))]
                  ) -> dict[str, Any]:
    """Store an agreement document (YAML) and create its pseudonymisation key."""
    from fairshare.service import add_agreement as service_add

    return service_add(ctx, path=Document("agreement.yaml", body.document.encode()),
                       actor=principal.actor).as_dict()


@router.post("/agreements/{agreement_id}/revoke", response_model=AgreementPublic,
             tags=["agreements"], summary="Revoke a data-sharing agreement")
def revoke_agreement(agreement_id: str, ctx: CtxDep,
                     principal: Annotated[Principal, Depends(require(Action.manage_agreements))]
                     ) -> dict[str, Any]:
    """No import or export under the agreement from now on."""
    from fairshare.service import revoke_agreement as service_revoke

    return service_revoke(ctx, agreement_id=agreement_id, actor=principal.actor).as_dict()


@router.get("/capacity", response_model=list[CapacityPublic], tags=["capacity"],
            summary="Capacity offers")
def list_capacity(request: Request, ctx: CtxDep,
                  principal: Annotated[Principal, Depends(require(Action.read_capacity))]
                  ) -> list[dict[str, Any]]:
    """Every offer with persons used and remaining (for analysts: a small number used is
    suppressed, and the remainder withheld)."""
    return views.capacity_view(ctx, aggregates_only=principal.aggregates_only,
                               small_cell=settings_of(request).small_cell_threshold)


@router.post("/capacity", response_model=list[CapacityPublic], status_code=201,
             tags=["capacity"], summary="Add capacity offers (CSV)")
async def add_capacity(request: Request, file: Upload, ctx: CtxDep,
                       principal: Annotated[Principal, Depends(require(Action.manage_capacity))]
                       ) -> list[dict[str, Any]]:
    """Store the offers of a capacity CSV (all or nothing)."""
    from starlette.concurrency import run_in_threadpool

    from fairshare.service import add_capacity as service_add

    document = await read_upload(request, file, "capacity.csv")

    def work() -> list[dict[str, Any]]:
        return [c.as_dict() for c in service_add(ctx, path=document, actor=principal.actor,
                                                 scope=principal.scope)]

    return await run_in_threadpool(work)


@router.post("/claimants/validate", response_model=ValidationReport, tags=["claimants"],
             summary="Validate a claimants file without importing it")
async def validate_claimants(request: Request, file: Upload, agreement_id: AgreementField,
                             ctx: CtxDep,
                             principal: Annotated[Principal,
                                                  Depends(require(Action.import_claimants))],
                             ) -> dict[str, Any]:
    """Every problem with its row and column; nothing is stored."""
    from starlette.concurrency import run_in_threadpool

    from fairshare.service import check_batch

    document = await read_upload(request, file, "batch.csv")

    from fairshare.api.errors import reader_language

    lang = reader_language(request)

    def work() -> dict[str, Any]:
        return check_batch(ctx, path=document, agreement_id=agreement_id,
                           scope=principal.scope).report(lang=lang)

    return await run_in_threadpool(work)


@router.post("/claimants/import", response_model=ImportPublic, tags=["claimants"],
             summary="Import a claimants file")
async def import_claimants(request: Request, file: Upload, agreement_id: AgreementField,
                           ctx: CtxDep,
                           principal: Annotated[Principal, Depends(require(Action.import_claimants))],
                           ) -> dict[str, Any]:
    """All or nothing, idempotent; partner ids are pseudonymised under the agreement's key."""
    from starlette.concurrency import run_in_threadpool

    from fairshare.service import import_claimants as service_import

    document = await read_upload(request, file, "batch.csv")

    def work() -> dict[str, Any]:
        return service_import(ctx, path=document, agreement_id=agreement_id,
                              actor=principal.actor, scope=principal.scope).as_dict()

    return await run_in_threadpool(work)


@router.get("/families", response_model=FamilyPage, tags=["claimants"], summary="Families")
def list_families(ctx: CtxDep,
                  principal: Annotated[Principal, Depends(require(Action.read_claimants))],
                  status: Annotated[str | None, Query(pattern=r"^(waiting|placed|staying)$")] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100,
                  offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict[str, Any]:
    """Families by pseudonymous id (officers: in or recommended to their jurisdiction)."""
    return views.list_families(ctx, scope=principal.scope, status=status, limit=limit,
                               offset=offset)


@router.get("/claimants/{claimant_id}", response_model=ClaimantPublic, tags=["claimants"],
            summary="One claimant")
def get_claimant(claimant_id: str, ctx: CtxDep,
                 principal: Annotated[Principal, Depends(require(Action.read_claimants))]
                 ) -> dict[str, Any]:
    """The minimised record and consent history of one claimant."""
    return views.get_claimant(ctx, claimant_id=claimant_id, scope=principal.scope)


@router.post("/claimants/{subject_id}/consent", response_model=ConsentPublic,
             tags=["claimants"], summary="Record consent given or withdrawn")
def record_consent(subject_id: str, body: ConsentCreate, ctx: CtxDep,
                   principal: Annotated[Principal, Depends(require(Action.record_consent))]
                   ) -> dict[str, Any]:
    """For a claimant or a whole family; withdrawal also withdraws pending recommendations."""
    from fairshare.service import change_consent

    return change_consent(ctx, subject=subject_id, state=body.state,
                          text_version=body.text_version, actor=principal.actor,
                          scope=principal.scope).as_dict()
