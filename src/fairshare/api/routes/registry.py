"""Registry routes: status, agreements, capacity offers, claimants (import, read, consent)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile

from fairshare.api import registry
from fairshare.api.auth import CtxDep, Principal, require, settings_of
from fairshare.api.roles import Action
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

router = APIRouter()
AgreementField = Annotated[str, Form(min_length=1, max_length=64, pattern=ID_PATTERN)]
Upload = Annotated[UploadFile, File(description="A claimants file (.csv or .json).")]


async def read_upload(request: Request, upload: UploadFile) -> bytes:
    """The uploaded bytes, refused beyond the configured size."""
    limit = settings_of(request).max_upload_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"The file is larger than {limit // (1024 * 1024)} MB; split it.")
    return data


@router.get("/status", response_model=StatusPublic, tags=["registry"], summary="Registry counts")
def get_status(request: Request, ctx: CtxDep,
               principal: Annotated[Principal, Depends(require(Action.read_aggregates))]
               ) -> dict[str, Any]:
    """Counts of claimants, families, consents, runs, decisions, transfers, audit entries."""
    return registry.status_report(ctx, principal,
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

    with registry.uploaded(body.document.encode(), "agreement.yaml") as path:
        return service_add(ctx, path=path, actor=principal.actor).as_dict()


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
def list_capacity(ctx: CtxDep, _: Annotated[Principal, Depends(require(Action.read_capacity))]
                  ) -> list[dict[str, Any]]:
    """Every offer with persons used and remaining."""
    from fairshare.service import list_capacity as service_list

    return [c.as_dict() for c in service_list(ctx)]


@router.post("/capacity", response_model=list[CapacityPublic], status_code=201,
             tags=["capacity"], summary="Add capacity offers (CSV)")
async def add_capacity(request: Request, file: Upload, ctx: CtxDep,
                       principal: Annotated[Principal, Depends(require(Action.manage_capacity))]
                       ) -> list[dict[str, Any]]:
    """Store the offers of a capacity CSV (all or nothing)."""
    from starlette.concurrency import run_in_threadpool

    data = await read_upload(request, file)

    def work() -> list[dict[str, Any]]:
        with registry.uploaded(data, file.filename or "capacity.csv") as path:
            return registry.add_capacity(ctx, principal, path=path)

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

    data = await read_upload(request, file)

    def work() -> dict[str, Any]:
        with registry.uploaded(data, file.filename or "batch.csv") as path:
            return registry.validate_batch(ctx, principal, path=path, agreement_id=agreement_id)

    return await run_in_threadpool(work)


@router.post("/claimants/import", response_model=ImportPublic, tags=["claimants"],
             summary="Import a claimants file")
async def import_claimants(request: Request, file: Upload, agreement_id: AgreementField,
                           ctx: CtxDep,
                           principal: Annotated[Principal, Depends(require(Action.import_claimants))],
                           ) -> dict[str, Any]:
    """All or nothing, idempotent; partner ids are pseudonymised under the agreement's key."""
    from starlette.concurrency import run_in_threadpool

    data = await read_upload(request, file)

    def work() -> dict[str, Any]:
        with registry.uploaded(data, file.filename or "batch.csv") as path:
            return registry.import_batch(ctx, principal, path=path, agreement_id=agreement_id)

    return await run_in_threadpool(work)


@router.get("/families", response_model=FamilyPage, tags=["claimants"], summary="Families")
def list_families(ctx: CtxDep,
                  principal: Annotated[Principal, Depends(require(Action.read_claimants))],
                  status: Annotated[str | None, Query(pattern=r"^(waiting|placed)$")] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100,
                  offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict[str, Any]:
    """Families by pseudonymous id (officers: in or recommended to their jurisdiction)."""
    return registry.list_families(ctx, principal, status=status, limit=limit, offset=offset)


@router.get("/claimants/{claimant_id}", response_model=ClaimantPublic, tags=["claimants"],
            summary="One claimant")
def get_claimant(claimant_id: str, ctx: CtxDep,
                 principal: Annotated[Principal, Depends(require(Action.read_claimants))]
                 ) -> dict[str, Any]:
    """The minimised record and consent history of one claimant."""
    return registry.get_claimant(ctx, principal, claimant_id)


@router.post("/claimants/{subject_id}/consent", response_model=ConsentPublic,
             tags=["claimants"], summary="Record consent given or withdrawn")
def record_consent(subject_id: str, body: ConsentCreate, ctx: CtxDep,
                   principal: Annotated[Principal, Depends(require(Action.record_consent))]
                   ) -> dict[str, Any]:
    """For a claimant or a whole family; withdrawal also withdraws pending recommendations."""
    return registry.change_consent(ctx, principal, subject=subject_id, state=body.state,
                                   text_version=body.text_version)
