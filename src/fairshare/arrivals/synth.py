"""Synthetic Canadian arrival streams: a year of families, annual pledges, quarterly sub-quotas.

Families, their needs and scores come from :func:`fairshare.matching.synth.synth_batch` (no real
person). On top of it:

- ``current`` (where the family is now) follows the province mix of IRCC's 2024 asylum claims
  by province of claim (shipped reference data, ``asylum_claims``, confidence official-copy);
- ``arrived_on`` falls on the days of ``year``; each month's share is ``monthly`` (twelve
  weights, e.g. IRCC's monthly claims of a year) and, without it, its share of the year's days.
  The shipped data has IRCC's claims per year and province only, not per month, so the default
  is calendar-uniform: an assumption, labelled so in the stream's ``meta``;
- each destination pledges for the year its population share (Statistics Canada, 1 April 2025)
  of the consenting persons, times ``slack``;
- with ``quarters``, each pledge is split into four quarterly sub-quotas in proportion to the
  quarter's expected arrivals (rounded down, so they never exceed the pledge).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import numpy as np

from fairshare.arrivals.stream import Period, Stream
from fairshare.errors import InputError
from fairshare.matching import Destination, Problem
from fairshare.matching.synth import synth_batch


def _claims_mix() -> tuple[list[str], np.ndarray]:
    from fairshare.reference import load_federation

    fed = load_federation("canada")
    claims = fed.values(fed.intake().id, "2024")
    codes = [c for c in fed.codes if claims.get(c, 0) > 0]
    weights = np.asarray([claims[c] for c in codes], dtype=float)
    return codes, weights / weights.sum()


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
            raise InputError("monthly: give twelve non-negative weights (January to December), "
                             "not all zero.")
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
        raise InputError("families: give at least 1.")
    if slack <= 0:
        raise InputError(f"slack: must be positive (got {slack}).")
    base = synth_batch(n_families, seed, floors=False, housing=False)
    rng = np.random.default_rng([seed, year])
    codes, mix = _claims_mix()
    current = rng.choice(len(codes), size=n_families, p=mix)
    families = tuple(dataclasses.replace(f, current=codes[int(c)])
                     for f, c in zip(base.families, current, strict=True))
    days = arrival_days(n_families, year, rng, monthly)
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
            "monthly_pattern": "given" if monthly is not None
            else "assumption: calendar-uniform (no monthly series shipped)",
            "current_mix": "IRCC asylum claims by province of claim, 2024 (official-copy)",
            "pledges": f"population share (Statistics Canada, 2025-04-01) x persons x {slack:g}"}
    return Stream(problem=Problem(families=families, destinations=tuple(dests),
                                  scores=base.scores, name=f"arrivals-{year}-{n_families}"),
                  arrived_on=arrived, periods=tuple(periods), carry_forward=carry_forward,
                  name=f"synthetic-{year}-{n_families}-seed{seed}", meta=meta)
