"""Synthetic Canadian arrival streams: a year of families, annual pledges, quarterly sub-quotas.

Families, their needs and scores come from :func:`fairshare.matching.synth.synth_batch` (no real
person). On top of it:

- ``current`` (where the family is now) follows the province mix of IRCC's 2024 asylum claims
  by province of claim (shipped reference data, ``asylum_claims``, confidence official-copy);
- ``arrived_on`` falls on the days of ``year``; each month's share is ``monthly`` (twelve
  weights) and, without it, the month's share of IRCC's asylum claims in Canada that year
  (shipped reference data, ``asylum_claims_monthly``, confidence official-copy: 2023 and 2024).
  For a year the shipped series lacks, each month's share is its share of the year's days: an
  assumption. The stream's ``meta["monthly_pattern"]`` says which of the three was used;
- each destination pledges for the year its population share (Statistics Canada, 1 April 2025)
  of the consenting persons, times ``slack``;
- with ``quarters``, each pledge is split into four quarterly sub-quotas in proportion to the
  quarter's expected arrivals (rounded down, so they never exceed the pledge).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Sequence

import numpy as np

from fairshare.arrivals.stream import Period, Stream
from fairshare.errors import DataError, InputError, at
from fairshare.i18n import msg
from fairshare.matching import Destination, Problem
from fairshare.matching.synth import synth_batch


def _claims_mix() -> tuple[list[str], np.ndarray]:
    from fairshare.reference import load_federation

    fed = load_federation("canada")
    claims = fed.values(fed.intake().id, "2024")
    codes = [c for c in fed.codes if claims.get(c, 0) > 0]
    weights = np.asarray([claims[c] for c in codes], dtype=float)
    return codes, weights / weights.sum()


MONTHLY_FILE = "asylum_claims_monthly_canada.csv"  # catalogue.yaml, national_series


@functools.lru_cache(maxsize=1)
def _monthly_series() -> dict[int, dict[int, float]]:
    from fairshare.reference import read_csv_rows, shipped_folder

    path = shipped_folder("canada") / MONTHLY_FILE
    _, rows = read_csv_rows(path)
    series: dict[int, dict[int, float]] = {}
    for i, row in enumerate(rows, start=2):
        cells = []
        for col in ("year", "month", "claims"):
            try:
                cells.append(int(row.get(col, "")))
            except ValueError:
                raise DataError(msg("file_not_a_number", where=at(path, i, col),
                                    text=row.get(col, ""))) from None
        series.setdefault(cells[0], {})[cells[1]] = float(cells[2])
    return series


def shipped_monthly(year: int) -> list[float] | None:
    """IRCC's asylum claims in Canada per month of ``year`` (shipped data), or None if absent."""
    months = _monthly_series().get(year, {})
    if sorted(months) != list(range(1, 13)):
        return None
    return [months[m] for m in range(1, 13)]


def _population() -> dict[str, float]:
    from fairshare.reference import load_federation

    return load_federation("canada").values("population")


def arrival_days(n: int, year: int, rng: np.random.Generator,
                 monthly: Sequence[float] | None = None) -> list[dt.date]:
    """``n`` arrival dates in ``year``: months by ``monthly`` weights, days uniform within."""
    first = dt.date(year, 1, 1)
    days_in = [(dt.date(year + (m == 12), m % 12 + 1, 1) - dt.date(year, m, 1)).days
               for m in range(1, 13)]
    if monthly is None:
        weights = np.asarray(days_in, dtype=float)
    else:
        weights = np.asarray(list(monthly), dtype=float)
        if len(weights) != 12 or (weights < 0).any() or weights.sum() <= 0:
            raise InputError(msg("arrivals_monthly_weights"))
    month = rng.choice(12, size=n, p=weights / weights.sum())
    offset = np.floor(rng.random(n) * np.asarray(days_in)[month]).astype(int)
    starts = np.cumsum([0, *days_in[:-1]])
    return [first + dt.timedelta(days=int(starts[m] + o)) for m, o in zip(month, offset,
                                                                           strict=True)]


def synth_stream(n_families: int, seed: int = 0, *, year: int = 2024, slack: float = 1.10,
                 quarters: bool = False, carry_forward: bool = False,
                 monthly: Sequence[float] | None = None) -> Stream:
    """A synthetic year of arrivals for Canada's 13 jurisdictions (deterministic per seed)."""
    if n_families < 1:
        raise InputError(msg("arrivals_families_at_least"))
    if slack <= 0:
        raise InputError(msg("arrivals_slack_positive", slack=slack))
    base = synth_batch(n_families, seed, floors=False, housing=False)
    rng = np.random.default_rng([seed, year])
    codes, mix = _claims_mix()
    current = rng.choice(len(codes), size=n_families, p=mix)
    families = tuple(dataclasses.replace(f, current=codes[int(c)])
                     for f, c in zip(base.families, current, strict=True))
    if monthly is not None:
        pattern, note = monthly, "given (--monthly)"
    elif (shipped := shipped_monthly(year)) is not None:
        pattern = shipped
        note = f"IRCC asylum claims per month, Canada, {year} (asylum_claims_monthly, official-copy)"
    else:
        pattern = None
        note = f"assumption: calendar-uniform (no monthly series shipped for {year})"
    days = arrival_days(n_families, year, rng, pattern)
    arrived = {f.id: d for f, d in zip(families, days, strict=True)}
    population = _population()
    total_pop = sum(population.values())
    persons = sum(f.size for f in families if f.consent)
    dests = []
    for d in base.destinations:
        cap = int(np.ceil(population[d.code] / total_pop * persons * slack)) + 8
        dests.append(Destination(code=d.code, capacity=cap, services=d.services))
    periods: list[Period] = []
    if quarters:
        starts = [dt.date(year, m, 1) for m in (1, 4, 7, 10)]
        ends = [dt.date(year, 3, 31), dt.date(year, 6, 30), dt.date(year, 9, 30),
                dt.date(year, 12, 31)]
        share = np.asarray([sum(1 for x in days if s <= x <= e) for s, e in zip(starts, ends,
                                                                               strict=True)])
        share = share / max(share.sum(), 1)
        for d in dests:
            for s, e, w in zip(starts, ends, share, strict=True):
                periods.append(Period(d.code, s, e, int(np.floor(d.capacity * w))))
    meta = {"year": str(year), "seed": str(seed),
            "monthly_pattern": note,
            "current_mix": "IRCC asylum claims by province of claim, 2024 (official-copy)",
            "pledges": f"population share (Statistics Canada, 2025-04-01) x persons x {slack:g}"}
    return Stream(problem=Problem(families=families, destinations=tuple(dests),
                                  scores=base.scores, name=f"arrivals-{year}-{n_families}"),
                  arrived_on=arrived, periods=tuple(periods), carry_forward=carry_forward,
                  name=f"synthetic-{year}-{n_families}-seed{seed}", meta=meta)
