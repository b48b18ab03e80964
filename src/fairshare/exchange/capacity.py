"""Capacity offers from destination jurisdictions, read from CSV.

Columns: offer_id, jurisdiction, period, persons, units_1_2, units_3_4, units_5_plus (housing
units by family size; optional, empty = no housing limit), services (``;``-separated),
expires_on (YYYY-MM-DD).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from fairshare.errors import InputError
from fairshare.exchange.reader import Source, read_batch, source_name
from fairshare.exchange.schema import SERVICES
from fairshare.exchange.synth import CAPACITY_COLUMNS
from fairshare.i18n import msg

BANDS = {"units_1_2": "1-2", "units_3_4": "3-4", "units_5_plus": "5+"}
#: The most persons (or housing units) one offer may have: beyond it, a typo (and the database's
#: 64-bit integers would overflow at 2^63).
MAX_PERSONS = 1_000_000
_OFFER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class CapacityOffer:
    """One validated offer."""

    id: str
    code: str
    period: str
    persons: int
    housing_units: dict[str, int] | None
    services: tuple[str, ...]
    expires_on: dt.date


def read_capacity(path: Source, *, codes: frozenset[str]) -> list[CapacityOffer]:
    """Validate every row; all problems are reported together and nothing is returned then."""
    columns, rows, _ = read_batch(path)
    errors = [f"column {c}: unknown column (allowed: {', '.join(CAPACITY_COLUMNS)})."
              for c in columns if c not in CAPACITY_COLUMNS]
    errors += [f"column {c}: required column is missing." for c in
               ("offer_id", "jurisdiction", "persons", "expires_on") if c not in columns]
    if errors:
        raise InputError(msg("capacity_file_not_valid", where=source_name(path)), details=errors)
    offers: list[CapacityOffer] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, start=1):
        def cell(col: str, row: dict[str, object] = row) -> str:
            return str(row.get(col, "") or "").strip()

        bad = len(errors)
        offer_id = cell("offer_id")
        if not _OFFER_ID.match(offer_id):
            errors.append(f"row {n}, column offer_id: 1-64 letters, digits, . _ - required.")
        elif offer_id in seen:
            errors.append(f"row {n}, column offer_id: '{offer_id}' already in row {seen[offer_id]}.")
        seen.setdefault(offer_id, n)
        code = cell("jurisdiction").upper()
        if code not in codes:
            errors.append(f"row {n}, column jurisdiction: '{code}' is not a jurisdiction code.")
        numbers: dict[str, int] = {}
        for col in ("persons", *BANDS):
            text = cell(col)
            if not text and col != "persons":
                continue
            if len(text) > 12 or not text.lstrip("-").isdigit():
                errors.append(f"row {n}, column {col}: '{text[:20]}' is not a whole number "
                              f"from 0 to {MAX_PERSONS}.")
                continue
            numbers[col] = int(text)
            if numbers[col] < 0:
                errors.append(f"row {n}, column {col}: must not be negative.")
            elif numbers[col] > MAX_PERSONS:
                errors.append(f"row {n}, column {col}: {numbers[col]} is more than one offer "
                              f"may hold ({MAX_PERSONS}); split it or check the number.")
        services = tuple(sorted({s.strip().lower() for s in cell("services").split(";")
                                 if s.strip()}))
        errors += [f"row {n}, column services: '{s[:30]}' is not a known service."
                   for s in services if s not in SERVICES]
        try:
            expires = dt.date.fromisoformat(cell("expires_on"))
        except ValueError:
            errors.append(f"row {n}, column expires_on: not a date (YYYY-MM-DD).")
            expires = dt.date.min
        if len(errors) == bad:
            units = {BANDS[c]: numbers[c] for c in BANDS if c in numbers}
            offers.append(CapacityOffer(offer_id, code, cell("period") or str(expires.year),
                                        numbers["persons"], units or None, services, expires))
    if errors:
        raise InputError(msg("capacity_file_not_valid", where=source_name(path)), details=errors)
    return offers
