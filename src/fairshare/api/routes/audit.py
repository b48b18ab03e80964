"""The audit log: chain verification and filtered reading (coordinators and auditors)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile

from fairshare.api.auth import CtxDep, Principal, require
from fairshare.api.schemas import AuditEntryPublic, VerifyPublic
from fairshare.service.roles import Action

router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, Depends(require(Action.read_audit))]
def _filter() -> Any:
    """A fresh filter parameter: FastAPI records each parameter's name (its alias) on the
    ``Query`` object, so one object shared by three parameters would carry the wrong alias."""
    return Query(min_length=1, max_length=200)


EntityType = Annotated[str | None, _filter()]
EntityId = Annotated[str | None, _filter()]
ActionFilter = Annotated[str | None, _filter()]


@router.get("/audit/verify", response_model=VerifyPublic, summary="Verify the audit chain")
def verify(request: Request, ctx: CtxDep, _: Auditor) -> dict[str, Any]:
    """Recompute every entry's hash and the business rows' digests; names the first broken
    entry or disagreeing row (in the Accept-Language). A deleted tail shows only against a
    checkpoint (POST)."""
    from fairshare.api.errors import reader_language
    from fairshare.service import verify_audit

    return verify_audit(ctx).as_dict(reader_language(request))


@router.post("/audit/verify", response_model=VerifyPublic,
             summary="Verify the audit chain against a signed checkpoint")
async def verify_with_checkpoint(
        request: Request, ctx: CtxDep, _: Auditor,
        checkpoint: Annotated[UploadFile, File(description="A checkpoint written by "
                                                "`fairshare audit checkpoint`.")],
) -> dict[str, Any]:
    """As GET, and also: the checkpoint's signature, and that the chain still holds the entry
    it signed (a truncated or rewritten tail fails). Changes nothing."""
    from starlette.concurrency import run_in_threadpool

    from fairshare.api.errors import reader_language
    from fairshare.api.routes.registry import read_upload
    from fairshare.service import verify_audit

    document = await read_upload(request, checkpoint, "checkpoint.json")
    result = await run_in_threadpool(verify_audit, ctx, checkpoint=document)
    return result.as_dict(reader_language(request))


@router.get("/audit", response_model=list[AuditEntryPublic], summary="Read the audit log")
def show(ctx: CtxDep, _: Auditor, entity_type: EntityType = None, entity_id: EntityId = None,
         action: ActionFilter = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200
         ) -> list[dict[str, Any]]:
    """Entries in chain order (the last ``limit``), filtered by entity and action."""
    from fairshare.service import show_audit

    return [e.as_dict() for e in show_audit(ctx, entity_type=entity_type, entity_id=entity_id,
                                            action=action, limit=limit)]
