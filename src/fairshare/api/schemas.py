"""Pydantic schemas of the API: one Public (response) and, for writes, one Create per entity.

Request bodies forbid unknown fields (``extra="forbid"``): a typo is a 422, never silently
ignored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Base of request bodies: unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid")


class Public(BaseModel):
    """Base of responses."""

    model_config = ConfigDict(extra="ignore")


class ErrorBody(Public):
    """What went wrong, for people and programs."""

    status: int
    code: str
    message: str
    details: list[Any] = Field(default_factory=list)


class ErrorResponse(Public):
    """Every 4xx/5xx answer of the API."""

    error: ErrorBody


class Health(Public):
    """Liveness and version."""

    status: Literal["ok"]
    version: str
    database: Literal["ok", "unavailable"]


class Me(Public):
    """The authenticated caller."""

    username: str
    role: str
    jurisdiction: str | None
    via: str


class ReferencePublic(Public):
    """A citation."""

    title: str
    url: str


class KeyVersionPublic(Public):
    """One dated version of a key."""

    effective: dt.date
    formula: str


class KeyPublic(Public):
    """A distribution key with its formula and sources."""

    id: str
    label: str
    description: str
    federation: str
    unit: str
    references: list[ReferencePublic]
    versions: list[KeyVersionPublic]


class JurisdictionPublic(Public):
    """A member of the federation."""

    code: str
    name: str
    name_fr: str
    iso_3166_2: str


class ShareRow(Public):
    """One jurisdiction's share (and whole-person fair share of the total, if given)."""

    code: str
    name: str
    share: float
    fair_share: int | None = None


class SharesPublic(Public):
    """Shares under a key."""

    key: str
    effective: str
    method: str
    total: int | None
    notes: list[str]
    rows: list[ShareRow]


class BalanceRow(Public):
    """Intake against fair share for one jurisdiction (and year)."""

    year: str
    code: str
    name: str
    share: float
    intake: float
    net_intake: float
    fair_share: float
    surplus: float
    fulfilment: float | None
    per_1000: float | None
    balance: float | None = None


class BalancePublic(Public):
    """The ledger under a key."""

    key: str
    effective: str
    method: str
    total_basis: str
    notes: list[str]
    rows: list[BalanceRow]
