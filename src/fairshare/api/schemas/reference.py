"""Keys, jurisdictions, shares and the balance."""

from __future__ import annotations

import datetime as dt

from fairshare.api.schemas.common import Public


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
    label_fr: str
    description_fr: str
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
    intake: float | str  # analysts: registry counts "<N" when small; derived columns withheld
    net_intake: float | None
    fair_share: float | None
    surplus: float | None
    fulfilment: float | None
    per_1000: float | None
    balance: float | None = None
    transfers_in: float | str = 0
    transfers_out: float | str = 0
    source: str = "published"


class BalancePublic(Public):
    """The ledger under a key."""

    key: str
    effective: str
    method: str
    total_basis: str
    notes: list[str]
    rows: list[BalanceRow]
