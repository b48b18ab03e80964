"""Back-test as in GeoMatch: re-place a held-out cohort with the matching engine and compare
true outcome rates.

The cohort's families are re-placed among the destinations that actually received them, each
destination offering as many places (persons) as it actually received (a re-shuffle, as in
Bansak et al. 2018). The plans are made by the engine that makes fairshare's recommendations,
:func:`fairshare.matching.solve`, with the ``outcome`` policy, on per-person scores (the mean
of the members' predicted employment probabilities; the engine's objective is then the sum over
members):

- ``status_quo``: where people actually went (the engine's ``status-quo`` baseline);
- ``random``: the engine's seeded ``random`` baseline;
- ``greedy``: the engine's ``greedy`` baseline (best per-person score first);
- ``optimised``: the engine's optimum (``auto``: exact MIP up to 500 families, else ``fast``
  with a proven gap) on the model's predictions;
- ``oracle``: the same engine on the TRUE probabilities (the best any model could do).

Every plan is evaluated by the expected true outcome: the sum of each person's true probability
at the plan's destination (known on synthetic data; with ``truth="model"`` on real data the
model's own predictions stand in, as GeoMatch's back-tests did). A family the engine leaves
unplaced (places are counted in persons, so the last families may not fit) stays where it was,
as in a registry run. The engine has no group floors: each audit group's rate is reported per
plan and any group the optimised plan leaves worse off than the status quo is listed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
PLANS = (("status_quo", "status-quo"), ("random", "random"), ("greedy", "greedy"),
         ("optimised", "auto"))


@dataclass(frozen=True)
class Cohort:
    """A held-out cohort ready for the back-test (persons in family order)."""

    frame: pd.DataFrame          # prepared persons
    family_index: IntArray       # (n,) family position of each person
    family_ids: tuple[str, ...]  # (F,)
    destinations: tuple[str, ...]
    status_quo: IntArray         # (F,) destination index actually received
    predicted: FloatArray        # (n, D) model's predicted probabilities
    truth: FloatArray            # (n, D) true probabilities (or predictions on real data)


def family_scores(person_scores: FloatArray, family_index: IntArray, n_families: int) -> FloatArray:
    """Sum person scores over the members of each family: (n, D) -> (F, D).

    >>> family_scores(np.array([[0.2, 0.5], [0.4, 0.1]]), np.array([0, 0]), 1).tolist()
    [[0.6000000000000001, 0.6]]
    """
    out = np.zeros((n_families, person_scores.shape[1]))
    np.add.at(out, family_index, person_scores)
    return out


def _group_masks(frame: pd.DataFrame, dimensions: tuple[str, ...]
                 ) -> list[tuple[str, str, npt.NDArray[np.bool_]]]:
    masks = []
    for dim in dimensions:
        for value in sorted(frame[dim].astype(str).unique()):
            masks.append((dim, value, (frame[dim].astype(str) == value).to_numpy()))
    return masks


def _person_values(cohort: Cohort, plan: IntArray, source: FloatArray) -> FloatArray:
    out: FloatArray = source[np.arange(len(cohort.family_index)), plan[cohort.family_index]]
    return out


def cohort_problem(cohort: Cohort, person_scores: FloatArray) -> Any:
    """The cohort as a matching problem: families of their members, currently where they were
    placed, destinations offering the places they actually filled, per-person scores."""
    from fairshare.matching import Destination, Family, Problem

    n_fam = len(cohort.family_ids)
    sizes = np.bincount(cohort.family_index, minlength=n_fam)
    per_person = family_scores(person_scores, cohort.family_index, n_fam) / sizes[:, None]
    persons = np.bincount(cohort.status_quo, weights=sizes,
                          minlength=len(cohort.destinations)).astype(np.int64)
    used = [j for j, n in enumerate(persons) if n > 0]
    codes = [cohort.destinations[j] for j in used]
    families = tuple(Family(id=fid, size=int(sizes[f]), consent=True,
                            current=cohort.destinations[int(cohort.status_quo[f])])
                     for f, fid in enumerate(cohort.family_ids))
    scores = {fid: {c: round(float(per_person[f, j]), 9) for c, j in zip(codes, used,
                                                                         strict=True)}
              for f, fid in enumerate(cohort.family_ids)}
    dests = tuple(Destination(code=c, capacity=int(persons[j])) for c, j in zip(codes, used,
                                                                              strict=True))
    return Problem(families=families, destinations=dests, scores=scores, name="backtest")


def engine_plan(problem: Any, cohort: Cohort, solver: str, seed: int) -> tuple[IntArray, Any]:
    """Destination index of every family under the engine's ``solver`` (unplaced: stays)."""
    from fairshare.matching import load_policy, solve

    result = solve(problem, load_policy("outcome"), solver, seed=seed, explain=False,
                   report=False)
    index = {c: j for j, c in enumerate(cohort.destinations)}
    plan = np.array(cohort.status_quo, dtype=np.int64)
    for f, fid in enumerate(cohort.family_ids):
        dest = result.assignment.get(fid)
        if dest is not None:
            plan[f] = index[dest]
    return plan, result


def run_backtest(cohort: Cohort, *, dimensions: tuple[str, ...], seed: int = 0
                 ) -> dict[str, Any]:
    """Every plan made by the matching engine, its true rates overall and by group."""
    started = time.perf_counter()
    fam = cohort.family_index
    predicted = cohort_problem(cohort, cohort.predicted)
    plans: dict[str, IntArray] = {}
    engines: dict[str, dict[str, Any]] = {}
    for name, solver in PLANS:
        plans[name], result = engine_plan(predicted, cohort, solver, seed)
        engines[name] = {"solver": result.solver, "status": str(result.status),
                         "gap": result.gap, "families_left_in_place": sum(
                             1 for d in result.assignment.values() if d is None)}
    plans["oracle"], result = engine_plan(cohort_problem(cohort, cohort.truth), cohort, "auto",
                                          seed)
    engines["oracle"] = {"solver": result.solver, "status": str(result.status),
                         "gap": result.gap, "families_left_in_place": sum(
                             1 for d in result.assignment.values() if d is None)}
    groups = _group_masks(cohort.frame, dimensions)

    def true_rate(plan: IntArray, mask: npt.NDArray[np.bool_] | None = None) -> float:
        values = _person_values(cohort, plan, cohort.truth)
        return float(values[mask].mean() if mask is not None else values.mean())

    base = true_rate(plans["status_quo"])
    summary = {name: {"true_rate": round(true_rate(plan), 5),
                      "gain_vs_status_quo": round(true_rate(plan) / base - 1.0, 5),
                      "predicted_rate": round(float(_person_values(cohort, plan, cohort.predicted)
                                                    .mean()), 5), **engines[name]}
               for name, plan in plans.items()}
    by_group = []
    worse_off = []
    for dim, value, mask in groups:
        row: dict[str, Any] = {"dimension": dim, "group": value, "persons": int(mask.sum())}
        for name, plan in plans.items():
            row[name] = round(true_rate(plan, mask), 5)
        row["gain_vs_status_quo"] = round(row["optimised"] / row["status_quo"] - 1.0, 5)
        if row["optimised"] < row["status_quo"]:
            worse_off.append(f"{dim}={value}")
        by_group.append(row)
    persons_by_dest = {name: {cohort.destinations[d]: int(c) for d, c in enumerate(
        np.bincount(plan[fam], minlength=len(cohort.destinations))) if c}
        for name, plan in plans.items() if name in ("status_quo", "optimised")}
    return {
        "cohort": {"persons": len(fam), "families": len(cohort.family_ids)},
        "capacity": "persons per destination as actually placed in the cohort (a re-shuffle)",
        "engine": "fairshare.matching.solve, policy 'outcome', per-person scores",
        "plans": summary,
        "gain_vs_status_quo": summary["optimised"]["gain_vs_status_quo"],
        "by_group": by_group,
        "groups_worse_off": worse_off,
        "persons_by_destination": persons_by_dest,
        "seconds": round(time.perf_counter() - started, 3),
    }
