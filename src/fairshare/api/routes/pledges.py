"""Pledges and pledged against delivered: aggregates every role may read (thin shell over
fairshare.service.pledges)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from fairshare.api.auth import CtxDep, Principal, require, settings_of
from fairshare.api.schemas.common import Public
from fairshare.service import pledges as service
from fairshare.service.roles import Action

router = APIRouter(tags=["pledges"])
Reader = Annotated[Principal, Depends(require(Action.read_aggregates))]
PeriodQuery = Annotated[str | None, Query(max_length=7, pattern=r"^\d{4}(-(Q[1-4]|0[1-9]|1[0-2]))?$",
                                          description="2025, 2025-Q2 or 2025-06.")]
CodeQuery = Annotated[str | None, Query(max_length=8, pattern=r"^[A-Za-z]{1,8}$",
                                        description="Jurisdiction code.")]


class PledgePublic(Public):
    """A stored pledge."""

    id: int
    code: str
    period: str
    persons: int
    source: str
    agreement_id: str | None
    created_at: dt.datetime
    created_by: str


class PledgeStandingPublic(Public):
    """Pledged against delivered (transfers) for one jurisdiction and period."""

    code: str
    period: str
    pledged: int
    delivered: int | str  # analysts: "<N" when small (shortfall and fulfilment withheld)
    shortfall: int | None
    fulfilment: float | None


@router.get("/pledges", response_model=list[PledgePublic], summary="Pledges")
def list_pledges(_: Reader, ctx: CtxDep) -> list[dict[str, object]]:
    """Every stored pledge, by period and jurisdiction."""
    return [p.as_dict() for p in service.list_pledges(ctx)]


@router.get("/pledges/standing", response_model=list[PledgeStandingPublic],
            summary="Pledged against delivered")
def pledge_standing(principal: Reader, request: Request, ctx: CtxDep, code: CodeQuery = None,
                    period: PeriodQuery = None) -> list[dict[str, object]]:
    """Per jurisdiction and period: persons pledged, delivered by transfers, still owed
    (small numbers delivered suppressed for analysts)."""
    from fairshare.service.views import pledge_standing_view

    return pledge_standing_view(ctx, code=code, period=period,
                                aggregates_only=principal.aggregates_only,
                                small_cell=settings_of(request).small_cell_threshold)
