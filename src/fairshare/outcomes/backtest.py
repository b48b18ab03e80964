"""Back-test as in GeoMatch: re-place a held-out cohort and compare true outcome rates.

The cohort's families are re-assigned to the destinations that actually received them, with each
destination's capacity equal to the number of families it actually received (a re-shuffle, as in
Bansak et al. 2018). Plans:

- ``status_quo``: where people actually went;
- ``random``: the same destinations shuffled among families (seeded);
- ``greedy``: families in order of their best predicted score take their best destination left;
- ``optimised_unconstrained``: maximise the sum over members of the model's predicted employment
  probability (an assignment problem; HiGHS through ``scipy.optimize.milp``);
- ``optimised``: the same with a floor for every audit group (sex, age band, region of origin,
  language, family type): its predicted total may not fall below its status quo total, so no
  group is made worse off by design;
- ``worst_off_floor``: the optimum with a floor for the worst-off group (the group with the
  lowest true rate under the unconstrained plan): its predicted total must close half the
  distance (``worst_off_share``) between what the unconstrained plan gives it and the most any
  plan with these capacities could give it;
- ``oracle``: the optimum with the TRUE probabilities (the best any model could do).

Every plan is evaluated by the expected true outcome: the sum of each person's true probability
at the plan's destination (known on synthetic data; with ``truth="model"`` on real data the
model's own predictions stand in, as GeoMatch's back-tests did). Costs of floors are reported as
the loss in total true outcome relative to the unconstrained optimum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairshare.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


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


def _solve(scores: FloatArray, capacity: FloatArray, floors: list[tuple[FloatArray, float]],
           *, integral: bool) -> FloatArray | None:
    """LP (or MIP) of the assignment; returns the (F, k) solution or None when infeasible."""
    from scipy.optimize import Bounds, LinearConstraint, linprog, milp
    from scipy.sparse import csr_matrix, eye, hstack, kron, vstack

    n_fam, k = scores.shape
    one_each = kron(eye(n_fam, format="csr"), np.ones((1, k)), format="csr")
    per_dest = hstack([eye(k, format="csr")] * n_fam, format="csr")
    rows = [per_dest] + [csr_matrix(-g.reshape(1, -1)) for g, _ in floors]
    a_ub = vstack(rows, format="csr")
    b_ub = np.concatenate([capacity, [-b for _, b in floors]])
    if integral:
        res = milp(-scores.ravel(), integrality=np.ones(n_fam * k), bounds=Bounds(0.0, 1.0),
                   constraints=[LinearConstraint(one_each, 1.0, 1.0),
                                LinearConstraint(a_ub, -np.inf, b_ub)],
                   options={"time_limit": 60.0, "mip_rel_gap": 1e-6})
        return None if res.x is None else np.asarray(res.x).reshape(n_fam, k)
    lp = linprog(-scores.ravel(), A_ub=cast(Any, a_ub), b_ub=b_ub, A_eq=cast(Any, one_each),
                 b_eq=np.ones(n_fam),
                 bounds=(0.0, 1.0), method="highs-ipm")
    return None if lp.status != 0 else np.asarray(lp.x).reshape(n_fam, k)


SCALE = 1_000_000  # min-cost flow needs integer costs: scores to 1e-6


def _assign_flow(scores: FloatArray, capacity: FloatArray) -> IntArray | None:
    """Exact transportation optimum by OR-Tools min-cost flow (None if OR-Tools is absent).

    Costs are scores rounded to 1e-6, so the plan is optimal for the rounded scores.
    """
    try:
        from ortools.graph.python import min_cost_flow
    except ImportError:  # OR-Tools is optional: the HiGHS LP gives the same optimum, slower
        return None
    n_fam, k = scores.shape
    flow = min_cost_flow.SimpleMinCostFlow()
    fam_nodes = np.repeat(np.arange(n_fam), k)
    dest_nodes = n_fam + np.tile(np.arange(k), n_fam)
    costs = -np.rint(scores.ravel() * SCALE).astype(np.int64)
    arcs = flow.add_arcs_with_capacity_and_unit_cost(fam_nodes, dest_nodes, np.ones(n_fam * k,
                                                     dtype=np.int64), costs)
    sink = n_fam + k
    flow.add_arcs_with_capacity_and_unit_cost(n_fam + np.arange(k), np.full(k, sink),
                                              capacity.astype(np.int64), np.zeros(k, np.int64))
    flow.set_nodes_supplies(np.arange(n_fam), np.ones(n_fam, dtype=np.int64))
    flow.set_node_supply(sink, -n_fam)
    if flow.solve() != flow.OPTIMAL:
        return None
    used = flow.flows(arcs).reshape(n_fam, k)
    plan: IntArray = used.argmax(axis=1).astype(np.int64)
    return plan


def assign_optimal(scores: FloatArray, capacity: IntArray,
                   floors: list[tuple[FloatArray, float]] | None = None) -> IntArray:
    """Maximise the total family score; every family placed once, capacities in families.

    ``floors``: (G, b) pairs meaning sum(G * x) >= b, with G of shape (F, D). Without floors the
    problem is a transportation problem (totally unimodular), solved exactly as a min-cost flow
    (OR-Tools, when installed) or as an LP by HiGHS, whose optimum is then integral. With
    floors, the few families the LP leaves fractional are placed by a small exact MIP over the
    capacity and floor amounts the integral families leave.

    Raises:
        InputError: capacity too small, or floors that no plan can meet.
    """
    n_fam = scores.shape[0]
    if int(capacity.sum()) < n_fam:
        raise InputError(f"Capacity for {int(capacity.sum())} families cannot hold {n_fam}.")
    cols = np.flatnonzero(capacity > 0)
    s, cap = scores[:, cols], capacity[cols].astype(np.float64)
    fl = [(g[:, cols], b) for g, b in floors or []]
    if not fl:
        flow_plan = _assign_flow(s, cap)
        if flow_plan is not None:
            found: IntArray = cols[flow_plan]
            return found
    x = _solve(s, cap, fl, integral=False)
    if x is None:
        raise InputError("The group floors cannot all be met with these capacities; lower them.")
    whole = x.max(axis=1) > 1.0 - 1e-7
    plan = np.where(whole, x.argmax(axis=1), -1).astype(np.int64)
    frac = np.flatnonzero(~whole)
    if len(frac):
        fixed = np.zeros_like(x)
        fixed[np.flatnonzero(whole), plan[whole]] = 1.0
        left = cap - fixed.sum(axis=0)
        rest = [(g[frac], b - float((g * fixed).sum())) for g, b in fl]
        sub = _solve(s[frac], left, rest, integral=True)
        if sub is None:  # floors unreachable in whole families: keep capacities, drop floors
            sub = _solve(s[frac], left, [], integral=True)
        if sub is None:
            raise InputError("The back-test assignment found no plan for the last families.")
        plan[frac] = sub.argmax(axis=1)
    chosen: IntArray = cols[plan]
    return chosen


def assign_greedy(scores: FloatArray, capacity: IntArray, family_ids: tuple[str, ...]) -> IntArray:
    """Families by best score (ties: id) take their best destination with room left."""
    left = capacity.astype(np.int64).copy()
    order = sorted(range(len(family_ids)), key=lambda f: (-float(scores[f].max()), family_ids[f]))
    plan = np.full(len(family_ids), -1, dtype=np.int64)
    for f in order:
        for d in np.argsort(-scores[f], kind="stable"):
            if left[d] > 0:
                plan[f] = d
                left[d] -= 1
                break
    return plan


def assign_random(status_quo: IntArray, seed: int) -> IntArray:
    """The status quo destinations shuffled among families (same capacities), seeded."""
    out: IntArray = np.random.default_rng(seed).permutation(status_quo)
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


def run_backtest(cohort: Cohort, *, dimensions: tuple[str, ...], seed: int = 0,
                 worst_off_share: float = 0.5) -> dict[str, Any]:
    """All plans, their true rates overall and by group, and the cost of the floors.

    ``worst_off_share``: the floor for the worst-off group closes this share of the distance
    between what the unconstrained optimum gives it and the most any plan could give it.
    """
    started = time.perf_counter()
    n_fam = len(cohort.family_ids)
    fam, sq = cohort.family_index, cohort.status_quo
    capacity = np.bincount(sq, minlength=len(cohort.destinations)).astype(np.int64)
    pred_f = family_scores(cohort.predicted, fam, n_fam)
    true_f = family_scores(cohort.truth, fam, n_fam)
    plans: dict[str, IntArray] = {"status_quo": sq, "random": assign_random(sq, seed),
                                  "greedy": assign_greedy(pred_f, capacity, cohort.family_ids)}
    plans["optimised_unconstrained"] = assign_optimal(pred_f, capacity)
    groups = _group_masks(cohort.frame, dimensions)

    def group_matrix(mask: npt.NDArray[np.bool_], source: FloatArray) -> FloatArray:
        return family_scores(source * mask[:, None], fam, n_fam)

    floors = []
    for _, _, mask in groups:
        g = group_matrix(mask, cohort.predicted)
        floors.append((g, float(g[np.arange(n_fam), sq].sum()) * (1 - 1e-9)))
    unconstrained = plans["optimised_unconstrained"]
    if all(float(g[np.arange(n_fam), unconstrained].sum()) >= b for g, b in floors):
        plans["optimised"] = unconstrained  # optimal for the relaxation and meets every floor
    else:
        plans["optimised"] = assign_optimal(pred_f, capacity, floors)

    def true_rate(plan: IntArray, mask: npt.NDArray[np.bool_] | None = None) -> float:
        values = _person_values(cohort, plan, cohort.truth)
        return float(values[mask].mean() if mask is not None else values.mean())

    worst = min(groups, key=lambda g: true_rate(plans["optimised_unconstrained"], g[2]))
    g_worst = group_matrix(worst[2], cohort.predicted)
    worst_now = float(g_worst[np.arange(n_fam), plans["optimised_unconstrained"]].sum())
    best_plan = assign_optimal(g_worst, capacity)
    worst_best = float(g_worst[np.arange(n_fam), best_plan].sum())
    worst_target = worst_now + worst_off_share * (worst_best - worst_now)
    worst_plan_ok = True
    try:
        plans["worst_off_floor"] = assign_optimal(pred_f, capacity, [(g_worst, worst_target)])
    except InputError:
        worst_plan_ok = False
    plans["oracle"] = assign_optimal(true_f, capacity)

    base = true_rate(sq)
    summary = {name: {"true_rate": round(true_rate(plan), 5),
                      "gain_vs_status_quo": round(true_rate(plan) / base - 1.0, 5),
                      "predicted_rate": round(float(_person_values(cohort, plan, cohort.predicted)
                                                    .mean()), 5)}
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
    unconstrained_total = summary["optimised_unconstrained"]["true_rate"]

    def cost(name: str) -> float:
        return round(1.0 - summary[name]["true_rate"] / unconstrained_total, 5)

    persons_by_dest = {name: {cohort.destinations[d]: int(c) for d, c in enumerate(
        np.bincount(plan[fam], minlength=len(cohort.destinations))) if c}
        for name, plan in plans.items() if name in ("status_quo", "optimised")}
    floors_report: dict[str, Any] = {
        "no_group_worse_off": {"groups": len(groups), "cost_relative": cost("optimised")},
        "worst_off_floor": {
            "group": f"{worst[0]}={worst[1]}",
            "status_quo_rate": round(true_rate(sq, worst[2]), 5),
            "unconstrained_rate": round(true_rate(plans["optimised_unconstrained"], worst[2]), 5),
            "floored_rate": (round(true_rate(plans["worst_off_floor"], worst[2]), 5)
                             if worst_plan_ok else None),
            "predicted_rate_unconstrained": round(worst_now / float(worst[2].sum()), 5),
            "predicted_rate_at_most": round(worst_best / float(worst[2].sum()), 5),
            "predicted_rate_floor": round(worst_target / float(worst[2].sum()), 5),
            "floor_share_of_possible_uplift": worst_off_share,
            "cost_relative": cost("worst_off_floor") if worst_plan_ok else None,
            "feasible": worst_plan_ok}}
    return {
        "cohort": {"persons": len(fam), "families": n_fam},
        "capacity": "families per destination as actually placed in the cohort (a re-shuffle)",
        "plans": summary,
        "gain_vs_status_quo": summary["optimised"]["gain_vs_status_quo"],
        "by_group": by_group,
        "groups_worse_off": worse_off,
        "floors": floors_report,
        "persons_by_destination": persons_by_dest,
        "seconds": round(time.perf_counter() - started, 3),
    }
