"""Data-sharing agreements: the written agreement Law 25 and the Privacy Act require.

An agreement is a YAML file (format in docs/registry.md): parties, legal basis, purpose, the
field allow-list, retention and validity. Imports and exports name the agreement they act
under; nothing crosses without an active one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fairshare.errors import InputError, ProblemError, validation_details
from fairshare.exchange.reader import Document, Source
from fairshare.exchange.schema import FIELDS, REQUIRED_FIELDS, SPECIAL_CATEGORIES
from fairshare.i18n import msg

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
PURPOSES = ("relocation-matching",)


class Party(BaseModel):
    """One side of the agreement."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=2, max_length=8, description="jurisdiction code or CA (federal)")
    name: str = Field(min_length=2, max_length=200)
    role: str = Field(pattern="^(provider|recipient)$")


class Agreement(BaseModel):
    """A validated agreement document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str = Field(min_length=3, max_length=300)
    parties: tuple[Party, ...] = Field(min_length=2)
    legal_basis: str = Field(min_length=10)
    purpose: str
    privacy_impact_assessment: str = Field(min_length=3)
    fields: tuple[str, ...] = Field(min_length=1)
    retention_days: int = Field(gt=0, le=3650)
    valid_from: dt.date
    expires_on: dt.date

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ProblemError(msg("agreement_bad_id", example="qc-ca-2026"))
        return value

    @field_validator("purpose")
    @classmethod
    def _purpose(cls, value: str) -> str:
        if value not in PURPOSES:
            raise ProblemError(msg("agreement_bad_purpose", purpose=value, purposes=", ".join(PURPOSES)))
        return value

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        special = sorted(set(value) & SPECIAL_CATEGORIES)
        if special:
            raise ProblemError(msg("agreement_special_fields", fields=", ".join(special)))
        unknown = sorted(set(value) - set(FIELDS))
        if unknown:
            raise ProblemError(msg("agreement_unknown_fields", fields=", ".join(unknown),
                                 allowed=", ".join(FIELDS)))
        missing = [f for f in REQUIRED_FIELDS if f not in value]
        if missing:
            raise ProblemError(msg("agreement_required_fields", fields=", ".join(missing)))
        if len(set(value)) != len(value):
            raise ProblemError(msg("agreement_field_twice"))
        return value

    def active_on(self, day: dt.date) -> bool:
        """Whether the agreement's validity covers ``day`` (revocation is tracked by the store)."""
        return self.valid_from <= day <= self.expires_on


def parse_agreement_text(text: str, *, source: str = "agreement") -> Agreement:
    """Validate an agreement document; every problem is listed with its field."""
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(msg("file_bad_yaml", where=source, problem=str(exc))) from exc
    if not isinstance(raw, dict):
        raise InputError(msg("agreement_not_mapping", where=source))
    try:
        agreement = Agreement.model_validate(raw)
    except ValidationError as exc:
        raise InputError(msg("agreement_not_valid", where=source),
                         details=validation_details(exc.errors())) from exc
    if agreement.expires_on < agreement.valid_from:
        raise InputError(msg("agreement_expires_before", where=source,
                             expires=str(agreement.expires_on), start=str(agreement.valid_from)))
    roles = {p.role for p in agreement.parties}
    if roles != {"provider", "recipient"}:
        raise InputError(msg("agreement_parties", where=source))
    return agreement


def read_agreement(path: Source) -> tuple[Agreement, str]:
    """Read and validate an agreement file (or an uploaded :class:`Document`); returns it with
    the sha256 of the document."""
    if isinstance(path, Document):
        p, data = Path(path.name), path.data
    else:
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise InputError(msg("file_cannot_read", where=str(p), reason=str(exc.strerror))) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(msg("file_not_utf8_at", where=str(p), byte=exc.start)) from exc
    return parse_agreement_text(text, source=str(p)), hashlib.sha256(data).hexdigest()


def synth_agreement_yaml(*, agreement_id: str = "qc-ca-relocation-2026",
                         valid_from: dt.date = dt.date(2026, 1, 1),
                         expires_on: dt.date = dt.date(2027, 12, 31)) -> str:
    """A valid example agreement between Quebec (provider) and the federal government."""
    fields = [f for f in FIELDS if f != "arrived_on"]
    doc = {
        "id": agreement_id,
        "title": "Quebec - Canada agreement on sharing data of consenting asylum claimants "
                 "for voluntary relocation (example)",
        "parties": [
            {"code": "QC", "name": "Ministère de l'Immigration, de la Francisation et de "
                                  "l'Intégration (Québec)", "role": "provider"},
            {"code": "CA", "name": "Immigration, Refugees and Citizenship Canada",
             "role": "recipient"},
        ],
        "legal_basis": "Act respecting the protection of personal information in the private "
                       "sector and Act respecting access to documents held by public bodies "
                       "(Quebec, Law 25), s. 70.1; Privacy Act (Canada), s. 8(2)(f)",
        "purpose": "relocation-matching",
        "privacy_impact_assessment": "EFVP-2026-014 (example reference)",
        "fields": fields,
        "retention_days": 730,
        "valid_from": valid_from.isoformat(),
        "expires_on": expires_on.isoformat(),
    }
    header = ("# Data-sharing agreement (example written by `fairshare synth agreement`).\n"
              "# Format: docs/registry.md. Only the listed fields may be imported or exported.\n")
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
