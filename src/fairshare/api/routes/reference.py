"""Keys, shares, balance and jurisdictions: aggregates every role may read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from fairshare.api.auth import CtxDep, Principal, require, settings_of
from fairshare.api.schemas import BalancePublic, JurisdictionPublic, KeyPublic, SharesPublic
from fairshare.errors import NotFoundError
from fairshare.i18n import msg
from fairshare.service import readmodels
from fairshare.service.roles import Action
from fairshare.service.views import balance_view

router = APIRouter(tags=["fair share"])
Reader = Annotated[Principal, Depends(require(Action.read_aggregates))]
# A preset id only: the engine also accepts file paths, which must never come from a request.
KeyQuery = Annotated[str, Query(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$",
                                description="Key id (GET /keys).")]
MethodQuery = Annotated[str, Query(max_length=40, description="Apportionment method.")]


@router.get("/keys", response_model=list[KeyPublic], summary="List distribution keys")
def list_keys(_: Reader) -> list[dict[str, object]]:
    """Every preset key with its formula (per dated version) and its sources."""
    return readmodels.keys_list()


@router.get("/keys/{key_id}", response_model=KeyPublic, summary="One distribution key")
def get_key(key_id: str, _: Reader) -> dict[str, object]:
    """One preset key by id."""
    for key in readmodels.keys_list():
        if key["id"] == key_id:
            return key
    raise NotFoundError(msg("api_unknown_key", key=key_id))


@router.get("/jurisdictions", response_model=list[JurisdictionPublic], summary="Jurisdictions")
def list_jurisdictions(_: Reader) -> list[dict[str, str]]:
    """The federation's members with English and French names."""
    return readmodels.jurisdictions()


@router.get("/shares", response_model=SharesPublic, summary="Shares under a key")
def get_shares(_: Reader, key: KeyQuery = "canada-population",
               total: Annotated[int | None, Query(ge=0, le=100_000_000)] = None,
               method: MethodQuery = "hamilton",
               on: Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")] = None,
               ) -> dict[str, object]:
    """Each jurisdiction's share, and its fair share of ``total`` in whole persons."""
    return readmodels.shares(key, total, method, on)


@router.get("/balance", response_model=BalancePublic, summary="Intake against fair share")
def get_balance(principal: Reader, request: Request, ctx: CtxDep,
                key: KeyQuery = "canada-population",
                years: Annotated[str, Query(max_length=40, pattern=r"^[0-9,\- ]+$")] = "2019-2024",
                cumulative: bool = False, method: MethodQuery = "hamilton",
                carry_forward: bool = False) -> dict[str, object]:
    """Intake (after the registry's transfers) against fair share, per year or cumulative
    (for analysts, small registry counts suppressed and what is computed from them withheld)."""
    return balance_view(ctx, key=key, years=years, cumulative=cumulative, method=method,
                        carry_forward=carry_forward, aggregates_only=principal.aggregates_only,
                        small_cell=settings_of(request).small_cell_threshold)
