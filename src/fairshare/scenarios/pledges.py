"""Pledges: persons a jurisdiction promises to receive in a period, read from CSV.

A pledge file has the columns ``jurisdiction`` (code), ``period`` (``2025``, ``2025-Q2`` or
``2025-06``), ``persons`` (a whole number >= 0), ``source`` (the agreement, letter or
communiqué the figure comes from) and optionally ``agreement`` (an agreement id in the
registry). Every row is checked; all problems are reported together and nothing is returned
when one row is wrong.

>>> p = Pledge("NB", "2025-Q2", 120, "Letter of 2025-03-01", None)
>>> p.year, p.months
(2025, (4, 5, 6))
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fairshare.errors import InputError
from fairshare.i18n import msg

PLEDGE_COLUMNS = ("jurisdiction", "period", "persons", "source", "agreement")
REQUIRED_COLUMNS = ("jurisdiction", "period", "persons", "source")
_PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")
MAX_PERSONS = 10_000_000


@dataclass(frozen=True)
class Pledge:
    """Persons ``code`` pledges to receive in ``period``, with the document that says so."""

    code: str
    period: str
    persons: int
    source: str
    agreement: str | None

    @property
    def year(self) -> int:
        """The calendar year of the period."""
        return int(self.period[:4])

    @property
    def months(self) -> tuple[int, ...]:
        """The months (1-12) the period covers."""
        return period_months(self.period)


def period_months(period: str) -> tuple[int, ...]:
    """Months covered by ``2025`` (all twelve), ``2025-Q3`` or ``2025-07``.

    >>> period_months("2025-Q3")
    (7, 8, 9)
    """
    m = _PERIOD.match(period)
    if not m:
        raise InputError(msg("pledge_period", period=period))
    if m.group(2):
        q = int(m.group(2))
        return tuple(range(3 * q - 2, 3 * q + 1))
    if m.group(3):
        return (int(m.group(3)),)
    return tuple(range(1, 13))


def parse_pledges(text: str, *, codes: Iterable[str], where: str) -> list[Pledge]:
    """Validate pledge rows given as CSV text; ``where`` names the file in messages."""
    known = set(codes)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    errors = [f"column {c}: unknown column (allowed: {', '.join(PLEDGE_COLUMNS)})."
              for c in header if c not in PLEDGE_COLUMNS]
    errors += [f"column {c}: required column is missing." for c in REQUIRED_COLUMNS
               if c not in header]
    if errors:
        raise InputError(msg("pledge_file_not_valid", where=where), details=errors)
    pledges: list[Pledge] = []
    seen: dict[tuple[str, str, str], int] = {}
    for n, raw in enumerate(reader, start=2):
        row = {str(k).strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        code = row.get("jurisdiction", "").upper()
        period = row.get("period", "")
        persons_text = row.get("persons", "").replace(",", "").replace("_", "")
        source = row.get("source", "")
        agreement = row.get("agreement", "") or None
        bad = len(errors)
        if code not in known:
            errors.append(f"row {n}, column jurisdiction: '{code}' is not a jurisdiction of the "
                          f"federation ({', '.join(sorted(known))}).")
        if not _PERIOD.match(period):
            errors.append(f"row {n}, column period: '{period}' - write 2025, 2025-Q2 or 2025-06.")
        if not persons_text.isdigit() or int(persons_text) > MAX_PERSONS:
            errors.append(f"row {n}, column persons: '{row.get('persons', '')}' - a whole number "
                          f"from 0 to {MAX_PERSONS:,}.")
        if not source:
            errors.append(f"row {n}, column source: say which agreement, letter or communiqué "
                          "the pledge comes from.")
        if len(errors) > bad:
            continue
        ident = (code, period, source)
        if ident in seen:
            errors.append(f"row {n}: same jurisdiction, period and source as row {seen[ident]}.")
            continue
        seen[ident] = n
        pledges.append(Pledge(code=code, period=period, persons=int(persons_text), source=source,
                              agreement=agreement))
    if errors:
        raise InputError(msg("pledge_file_not_valid", where=where), details=errors)
    return sorted(pledges, key=lambda p: (p.period, p.code, p.source))


def read_pledges(path: str | Path, *, codes: Iterable[str]) -> list[Pledge]:
    """Read and validate a pledge CSV file (see :func:`parse_pledges`)."""
    file = Path(path)
    if not file.is_file():
        raise InputError(msg("pledge_file_not_found", path=str(path)))
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(msg("file_not_utf8_csv", where=str(path))) from None
    return parse_pledges(text, codes=codes, where=str(path))


def pledged_by_month(pledges: Sequence[Pledge], year: int,
                     codes: Sequence[str]) -> dict[str, list[float]]:
    """Persons pledged per jurisdiction and month of ``year`` (a period's persons spread evenly).

    >>> pledged_by_month([Pledge("A", "2025-Q1", 30, "s", None)], 2025, ["A"])["A"][:4]
    [10.0, 10.0, 10.0, 0.0]
    """
    out = {c: [0.0] * 12 for c in codes}
    for p in pledges:
        if p.year != year or p.code not in out:
            continue
        months = p.months
        for m in months:
            out[p.code][m - 1] += p.persons / len(months)
    return out


def pledged_totals(pledges: Sequence[Pledge], year: int) -> dict[str, int]:
    """Persons pledged per jurisdiction for ``year`` (all its periods summed)."""
    out: dict[str, int] = {}
    for p in pledges:
        if p.year == year:
            out[p.code] = out.get(p.code, 0) + p.persons
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class PledgeStanding:
    """Pledged against delivered for one jurisdiction and period."""

    code: str
    period: str
    pledged: int
    delivered: int

    @property
    def shortfall(self) -> int:
        """Persons pledged but not (yet) received; negative when more arrived than pledged."""
        return self.pledged - self.delivered

    @property
    def fulfilment(self) -> float | None:
        """Delivered ÷ pledged (None when nothing was pledged)."""
        return self.delivered / self.pledged if self.pledged else None


def pledged_vs_delivered(pledges: Sequence[Pledge],
                         delivered: Mapping[tuple[str, str], int]) -> list[PledgeStanding]:
    """Each (jurisdiction, period) pledged, with the persons delivered by transfers.

    ``delivered`` maps (jurisdiction, period) to persons received by transfer in that period; a
    period with deliveries but no pledge is listed with ``pledged`` 0.

    >>> rows = pledged_vs_delivered([Pledge("NB", "2025", 100, "s", None)], {("NB", "2025"): 40})
    >>> [(r.code, r.pledged, r.delivered, r.shortfall) for r in rows]
    [('NB', 100, 40, 60)]
    """
    pledged: dict[tuple[str, str], int] = {}
    for p in pledges:
        pledged[(p.code, p.period)] = pledged.get((p.code, p.period), 0) + p.persons
    keys = sorted(set(pledged) | set(delivered), key=lambda k: (k[1], k[0]))
    return [PledgeStanding(code=c, period=per, pledged=pledged.get((c, per), 0),
                           delivered=int(delivered.get((c, per), 0))) for c, per in keys]
