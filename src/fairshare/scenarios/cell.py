"""One cell of a sweep: a simulated year of arrivals, relocations and their balance.

A cell is a pure function of its :class:`CellSpec` (which carries every number it needs, so a
worker reads no file): the same spec gives the same rows on any machine or worker, because every
random draw comes from ``numpy.random.default_rng(seed)`` and every solve is deterministic.

The year: each month, asylum claimants arrive in each jurisdiction (Poisson around the base
year's claims × the volume multiplier, spread evenly over the months); a fraction of the persons
arriving in a jurisdiction above its fair share consent to move (whole families, sizes 1-8);
destinations offer capacity month by month (pledges × the capacity multiplier; unused capacity
carries over). The online policy decides each month's batch with only what it knows then.
Engine ``arrivals`` (the default): :func:`fairshare.arrivals.simulate` with the cell's online
policy (``myopic``, ``greedy``, ``dual-prices``, ``balancing``, ``rotation``; balancing steers
toward each destination's expected fair-share gap) and its ``hindsight`` plan. Engine
``matching``: each month's batch is matched by :func:`fairshare.matching.solve` under the
matching policy against the capacity open that month (``myopic`` only), and the hindsight plan
matches the whole year at once against the whole year's capacity. ``hindsight_fraction`` is
the online total outcome divided by the hindsight total outcome. The total outcome sums, over
every consenting person, the predicted outcome where the person ends the year (the
destination, or the jurisdiction of arrival for a person who stays).

>>> spec = example_spec(seed=3)
>>> rows = run_cell(spec)
>>> sorted({r["jurisdiction"] for r in rows}) == sorted(spec.codes)
True
>>> run_cell(spec)[0]["intake"] == rows[0]["intake"]
True
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fairshare.apportion import apportion
from fairshare.scenarios.solidarity import SolidarityVersion, solidarity_amounts

SIZE_P = (0.34, 0.2, 0.16, 0.13, 0.08, 0.05, 0.03, 0.01)
MEAN_FAMILY_SIZE = sum((i + 1) * p for i, p in enumerate(SIZE_P))
FRENCH_SERVICES = frozenset({"QC", "NB", "ON"})
MONTHS = 12
ONLINE_POLICIES_BUILTIN = ("myopic",)
FAIL_EXIT = "exit-process"


@dataclass(frozen=True)
class CellSpec:
    """Everything a cell needs, as plain values (picklable, hashable by its ``cell_id``).

    Attributes:
        cell_id: stable id of the cell (a hash of its parameters).
        scenario: id of the scenario (the cell without its seed).
        params: the axis values that define the cell (key, policy, online_policy, volume,
            pledges, capacity, seed), for the result rows.
        codes: jurisdiction codes, in display order.
        shares: each jurisdiction's share under the cell's key.
        base_intake: persons arriving per jurisdiction in the base year (before the volume).
        volume: multiplier on the base year's arrivals.
        offers: capacity offered per jurisdiction and month (persons, already × capacity).
        consent_rate: fraction of persons arriving above the fair share who consent to move.
        policy: matching policy id (``balanced``, ``outcome``, ``preference-first``).
        online_policy: how each month is decided (``myopic``, or one from fairshare.arrivals).
        solver: matching solver (``auto``, ``exact``, ``fast``, ``greedy``).
        method: apportionment method of the fair share.
        seed: the random seed.
        solidarity_id: id of the solidarity policy, or "" for none.
        solidarity: its terms, or None.
        engine: ``arrivals`` (:func:`fairshare.arrivals.simulate` decides the year, monthly
            batches, the hindsight plan by its ``hindsight`` policy) or ``matching`` (each
            month's batch by :func:`fairshare.matching.solve` under ``policy``: ``myopic``).
        fail: raise inside the cell (only for tests of failure handling: a real failure);
            :data:`FAIL_EXIT` ends the process running the cell instead (a worker that dies).
        extra: ``policy_text`` (a policy file's text), ``year``, ``cadence``, ``online_options``.
    """

    cell_id: str
    scenario: str
    params: Mapping[str, Any]
    codes: tuple[str, ...]
    shares: Mapping[str, float]
    base_intake: Mapping[str, float]
    volume: float
    offers: Mapping[str, Sequence[float]]
    consent_rate: float
    policy: str
    online_policy: str
    solver: str
    method: str
    seed: int
    engine: str = "matching"
    solidarity_id: str = ""
    solidarity: SolidarityVersion | None = None
    fail: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Family:
    id: str
    size: int
    month: int
    current: str
    french: bool
    scores: dict[str, float]


def expected_families(base_intake: Mapping[str, float], shares: Mapping[str, float], volume: float,
                      consent_rate: float) -> float:
    """Consenting families a cell is expected to simulate (for the size check before a sweep)."""
    total = sum(base_intake.values()) * volume
    # Every person arriving where the intake exceeds the share may consent (not only the excess).
    eligible = sum(v * volume for c, v in base_intake.items()
                   if v * volume > shares.get(c, 0.0) * total)
    return eligible * consent_rate / MEAN_FAMILY_SIZE


def _sending(spec: CellSpec) -> set[str]:
    total = sum(spec.base_intake.values()) * spec.volume
    return {c for c in spec.codes
            if spec.base_intake.get(c, 0.0) * spec.volume > spec.shares[c] * total}


def _arrivals(spec: CellSpec) -> tuple[dict[str, int], list[_Family]]:
    """Arrivals per jurisdiction and the consenting families, month by month."""
    rng = np.random.default_rng(spec.seed)
    codes = list(spec.codes)
    n = len(codes)
    dest_effect = rng.normal(0.0, 0.06, n)
    sending = _sending(spec)
    intake = dict.fromkeys(codes, 0)
    families: list[_Family] = []
    sizes_p = np.asarray(SIZE_P)
    for month in range(1, MONTHS + 1):
        for j, code in enumerate(codes):
            mean = spec.base_intake.get(code, 0.0) * spec.volume / MONTHS
            arrived = int(rng.poisson(mean)) if mean > 0 else 0
            intake[code] += arrived
            consenting = int(rng.binomial(arrived, spec.consent_rate)) if arrived else 0
            if code not in sending or consenting == 0:
                continue
            left = consenting
            while left > 0:
                size = min(int(rng.choice(np.arange(1, 9), p=sizes_p)), left)
                left -= size
                french = bool(rng.random() < 0.15)
                base = 0.45 + rng.normal(0.0, 0.08) + dest_effect + rng.normal(0.0, 0.07, n)
                if french:
                    base = base + np.asarray([0.12 if c in FRENCH_SERVICES else 0.0 for c in codes])
                base[j] += 0.02  # networks where the family first settled
                scores = {c: round(float(min(max(v, 0.01), 0.99)), 4)
                          for c, v in zip(codes, base, strict=True)}
                families.append(_Family(id=f"M{month:02d}-{code}-{len(families) + 1:06d}",
                                        size=size, month=month, current=code, french=french,
                                        scores=scores))
    return intake, families


def _problem(families: Sequence[_Family], room: Mapping[str, int],
             gaps: Mapping[str, float], name: str) -> Any:
    from fairshare.matching import Destination, Family, Problem

    dests = tuple(Destination(code=c, capacity=int(v),
                              services=frozenset({"french"}) if c in FRENCH_SERVICES else frozenset(),
                              shortfall=float(gaps.get(c, 0.0)))
                  for c, v in sorted(room.items()) if v > 0)
    offered = {d.code for d in dests}
    fams = tuple(Family(id=f.id, size=f.size, consent=True, current=f.current,
                        services=frozenset({"french"}) if f.french else frozenset(),
                        excluded=frozenset({f.current}) & offered) for f in families)
    scores = {f.id: {d.code: f.scores[d.code] for d in dests} for f in families}
    return Problem(families=fams, destinations=dests, scores=scores, name=name)


def _solve(families: Sequence[_Family], room: Mapping[str, int], gaps: Mapping[str, float],
           spec: CellSpec, name: str) -> dict[str, str]:
    """Family id -> destination for the families the matching engine relocates."""
    from fairshare.matching import load_policy, policy_from_text, solve

    if not families or not any(v > 0 for v in room.values()):
        return {}
    text = str(spec.extra.get("policy_text", ""))
    policy = policy_from_text(text, spec.policy) if text else load_policy(spec.policy)
    result = solve(_problem(families, room, gaps, name), policy,
                   solver=spec.solver, seed=spec.seed, explain=False, report=False)
    return {fid: dest for fid, dest in sorted(result.assignment.items()) if dest is not None}


def _outcome(families: Sequence[_Family], moved: Mapping[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for f in families:
        where = moved.get(f.id, f.current)
        out[where] = out.get(where, 0.0) + f.size * f.scores[where]
    return out


def _myopic(spec: CellSpec, families: Sequence[_Family],
            expected_gap: Mapping[str, float]) -> dict[str, str]:
    moved: dict[str, str] = {}
    open_room = dict.fromkeys(spec.codes, 0.0)
    received = dict.fromkeys(spec.codes, 0)
    for month in range(1, MONTHS + 1):
        for c in spec.codes:
            open_room[c] += float(spec.offers.get(c, [0.0] * MONTHS)[month - 1])
        batch = [f for f in families if f.month == month]
        room = {c: math.floor(v + 1e-9) for c, v in open_room.items()}
        gaps = {c: expected_gap[c] - received[c] for c in spec.codes}
        plan = _solve(batch, room, gaps, spec, f"{spec.cell_id}-m{month:02d}")
        sizes = {f.id: f.size for f in batch}
        for fid, dest in plan.items():
            moved[fid] = dest
            open_room[dest] -= sizes[fid]
            received[dest] += sizes[fid]
    return moved


def _stream(spec: CellSpec, families: Sequence[_Family], year: int) -> Any:
    """The year as an arrivals stream: annual capacity, monthly sub-quotas carried forward."""
    import datetime as dt

    from fairshare.arrivals import Period, Stream

    room, periods = {}, []
    for c in spec.codes:
        offers = list(spec.offers.get(c, [0.0] * MONTHS))
        cum = [math.floor(sum(offers[: m + 1]) + 1e-9) for m in range(MONTHS)]
        room[c] = cum[-1]
        for m in range(MONTHS):
            start = dt.date(year, m + 1, 1)
            end = dt.date(year + (m == 11), (m + 1) % 12 + 1, 1) - dt.timedelta(days=1)
            if room[c] > 0:
                periods.append(Period(code=c, start=start, end=end,
                                      capacity=cum[m] - (cum[m - 1] if m else 0)))
    problem = _problem(families, room, {}, spec.cell_id)
    offered = {d.code for d in problem.destinations}
    by_month: dict[int, int] = {}
    arrived = {}
    for f in families:  # spread each month's families over its first 28 days, in id order
        k = by_month.get(f.month, 0)
        by_month[f.month] = k + 1
        arrived[f.id] = dt.date(year, f.month, 1 + k % 28)
    return Stream(problem=problem, arrived_on=arrived,
                  periods=tuple(p for p in periods if p.code in offered), carry_forward=True,
                  name=spec.cell_id)


def _simulated(spec: CellSpec, families: Sequence[_Family],
               expected_gap: Mapping[str, float]) -> tuple[dict[str, str], dict[str, str]]:
    """Online and hindsight plans from :func:`fairshare.arrivals.simulate` (monthly batches)."""
    from fairshare.arrivals import simulate

    if not families or not any(sum(v) >= 1 for v in spec.offers.values()):
        return {}, {}
    stream = _stream(spec, families, int(spec.extra.get("year", 2024)))
    if not stream.problem.destinations:
        return {}, {}
    targets = {c: max(v, 0.0) for c, v in expected_gap.items()
               if c in {d.code for d in stream.problem.destinations}}
    options: dict[str, Any] = dict(spec.extra.get("online_options", {}))
    if sum(targets.values()) > 0:
        options.setdefault("targets", targets)
    result = simulate(stream, spec.online_policy, cadence=str(spec.extra.get("cadence", "month")),
                      seed=spec.seed, options=options, hindsight=False)
    online = {f: d for f, d in result.assignment.items() if d is not None}
    hind = simulate(stream, "hindsight", cadence=str(spec.extra.get("cadence", "month")),
                    seed=spec.seed, options=options)
    return online, {f: d for f, d in hind.assignment.items() if d is not None}


def run_cell(spec: CellSpec) -> list[dict[str, Any]]:
    """Simulate the cell's year; one row per jurisdiction (see the module docstring)."""
    started = time.perf_counter()
    if spec.fail == FAIL_EXIT:
        os._exit(70)
    if spec.fail:
        raise RuntimeError(spec.fail)
    intake, families = _arrivals(spec)
    total_expected = sum(spec.base_intake.values()) * spec.volume
    expected_gap = {c: spec.shares[c] * total_expected - spec.base_intake.get(c, 0.0) * spec.volume
                    for c in spec.codes}
    if spec.engine == "arrivals":
        moved, hindsight = _simulated(spec, families, expected_gap)
    else:
        moved = _myopic(spec, families, expected_gap)
        year_room = {c: math.floor(sum(spec.offers.get(c, [])) + 1e-9) for c in spec.codes}
        hindsight = _solve(families, year_room, expected_gap, spec, f"{spec.cell_id}-year")
    online_outcome = _outcome(families, moved)
    hind_total = sum(_outcome(families, hindsight).values())
    online_total = sum(online_outcome.values())
    fraction = online_total / hind_total if hind_total > 0 else 1.0
    sizes = {f.id: f.size for f in families}
    origin = {f.id: f.current for f in families}
    rel_in = dict.fromkeys(spec.codes, 0)
    rel_out = dict.fromkeys(spec.codes, 0)
    for fid, dest in moved.items():
        rel_in[dest] += sizes[fid]
        rel_out[origin[fid]] += sizes[fid]
    total = sum(intake.values())
    fair = apportion(dict(spec.shares), total, spec.method).seats if total else \
        dict.fromkeys(spec.codes, 0)
    surplus = {c: intake[c] + rel_in[c] - rel_out[c] - int(fair[c]) for c in spec.codes}
    lines = {}
    if spec.solidarity is not None:
        lines = {x.code: x for x in solidarity_amounts(
            spec.solidarity, surplus=surplus, fair_share={c: int(fair[c]) for c in spec.codes},
            shares=spec.shares)}
    gap = sum(max(v, 0) for v in surplus.values())
    seconds = time.perf_counter() - started
    rows: list[dict[str, Any]] = []
    for c in spec.codes:
        line = lines.get(c)
        rows.append({
            "cell_id": spec.cell_id, **spec.params, "jurisdiction": c,
            "intake": intake[c], "fair_share": int(fair[c]), "relocated": rel_in[c],
            "relocated_out": rel_out[c], "surplus": surplus[c],
            "pledged": math.floor(sum(spec.offers.get(c, [])) + 1e-9),
            "outcome": round(online_outcome.get(c, 0.0), 6),
            "total_outcome": round(online_total, 6), "hindsight_outcome": round(hind_total, 6),
            "hindsight_fraction": round(fraction, 9), "balance_gap": gap,
            "families": len(families), "solidarity_policy": spec.solidarity_id,
            "solidarity_persons": line.persons if line else 0,
            "solidarity_amount": line.amount if line else 0.0,
            "engine": spec.engine, "seconds": round(seconds, 6)})
    return rows


def example_spec(seed: int = 0) -> CellSpec:
    """A tiny three-jurisdiction cell (for doctests and quick checks)."""
    codes = ("A", "B", "C")
    return CellSpec(
        cell_id="example", scenario="example",
        params={"scenario": "example", "key": "k", "policy": "balanced", "online_policy": "myopic",
                "volume": 1.0, "pledges": "none", "capacity": 1.0, "seed": seed},
        codes=codes, shares={"A": 0.2, "B": 0.3, "C": 0.5},
        base_intake={"A": 600.0, "B": 300.0, "C": 100.0}, volume=1.0,
        offers={"A": [0.0] * 12, "B": [2.0] * 12, "C": [3.0] * 12}, consent_rate=0.05,
        policy="balanced", online_policy="myopic", solver="auto", method="hamilton", seed=seed)
