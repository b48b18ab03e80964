"""Status, agreements, capacity, claimant batches, families, claimants and consent."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from fairshare.api.schemas.common import Public, Strict

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$"
CODE_PATTERN = r"^[A-Z]{2}$"


class StatusPublic(Public):
    """Counts of the registry's entities (``<N`` for small cells, for analysts)."""

    revision: str | None
    counts: dict[str, int | str]


class AgreementCreate(Strict):
    """A data-sharing agreement document (YAML text, format in docs/registry.md)."""

    document: str = Field(min_length=1, max_length=100_000)


class AgreementPublic(Public):
    """A data-sharing agreement as stored."""

    id: str
    title: str
    purpose: str
    status: str
    active: bool
    valid_from: dt.date
    expires_on: dt.date
    retention_days: int
    fields: list[str]
    parties: list[dict[str, str]]
    legal_basis: str


class CapacityPublic(Public):
    """A capacity offer with what transfers used."""

    id: str
    code: str
    period: str
    persons: int
    used: int | str  # analysts: "<N" when small
    remaining: int | None  # analysts: withheld when used is small
    housing_units: dict[str, int] | None
    services: list[str]
    expires_on: dt.date
    active: bool


class ValidationReport(Public):
    """What an import would say about a file, without importing it."""

    agreement_id: str
    agreement_active: bool
    rows: int
    families: int
    columns: list[str]
    valid: bool
    problems: list[str]
    more_problems: int


class ImportPublic(Public):
    """The outcome of an import (``already_imported`` when the same batch came before)."""

    agreement_id: str
    batch_id: int | None
    rows: int
    new_claimants: int
    new_families: int
    already_present: int
    already_imported: bool
    content_sha256: str


class FamilyPublic(Public):
    """A family (pseudonymous id) waiting or placed."""

    id: str
    current_jurisdiction: str
    status: str
    size: int
    services: list[str]
    consenting: bool


class FamilyPage(Public):
    """A page of families."""

    total: int
    limit: int
    offset: int
    items: list[FamilyPublic]


class ConsentRecord(Public):
    """One consent record."""

    state: str
    purpose: str
    text_version: str
    recorded_at: str


class ClaimantPublic(Public):
    """A claimant's minimised record."""

    id: str
    family_id: str
    current_jurisdiction: str
    birth_year: int | None
    sex: str | None
    languages: Any
    education: str | None
    work_experience_years: float | None
    consents: list[ConsentRecord]


class ConsentCreate(Strict):
    """Consent given (with the version of the text the person read) or withdrawn."""

    state: Literal["given", "withdrawn"]
    text_version: str | None = Field(default=None, min_length=1, max_length=32)


class ConsentPublic(Public):
    """A consent change and its effects."""

    state: str
    purpose: str
    claimant_ids: list[str]
    family_ids: list[str]
    withdrawn_recommendations: int
