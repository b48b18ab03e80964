"""Individual mode: persons (not families), capacities and floors only, exact by min-cost flow.

With one person per row and only capacity and minimum-intake rows, the constraint matrix is a
bipartite incidence matrix (totally unimodular): the LP optimum is integral and a min-cost flow
(OR-Tools ``SimpleMinCostFlow``, arcs added from numpy arrays) solves it exactly. Placing a
person is worth far more than any score, so the flow places as many persons as capacity allows
first (lexicographic, as the ``outcome`` policy does for families).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

SCALE = 1_000_000  # scores are rounded to 1e-6
PLACE = 10_000_000_000  # worth of placing one person, in score units x SCALE
FLOOR = 10 * PLACE  # worth of a person counted towards a floor


@dataclass(frozen=True)
class FlowResult:
    """Destination index per person (-1: unplaced) and the total score."""

    choice: npt.NDArray[np.int64]
    objective: float
    status: str


def solve_individuals(scores: npt.NDArray[np.floating], capacity: npt.NDArray[np.integer],
                      floors: npt.NDArray[np.integer] | None = None,
                      allowed: npt.NDArray[np.bool_] | None = None) -> FlowResult:
    """Exact assignment of persons to destinations (score matrix persons x destinations)."""
    from ortools.graph.python import min_cost_flow

    n, nd = scores.shape
    floors = np.zeros(nd, dtype=np.int64) if floors is None else np.asarray(floors, np.int64)
    capacity = np.asarray(capacity, dtype=np.int64)
    mask = np.ones((n, nd), dtype=bool) if allowed is None else allowed
    p_idx, d_idx = np.nonzero(mask)
    smcf = min_cost_flow.SimpleMinCostFlow()
    score_cost = -np.rint(scores[p_idx, d_idx] * SCALE).astype(np.int64)
    # Nodes: persons 0..n-1, destinations n..n+nd-1, sink n+nd (and "unplaced" n+nd+1).
    sink = n + nd
    if int(capacity.sum()) >= n and allowed is None:
        # Everyone can be placed: floors become demands at the destinations (exact, and the
        # costs stay small, which keeps the cost-scaling algorithm fast).
        tails = np.concatenate([p_idx, n + np.arange(nd)])
        heads = np.concatenate([n + d_idx, np.full(nd, sink)])
        caps = np.concatenate([np.ones(len(p_idx), np.int64), np.maximum(capacity - floors, 0)])
        costs = np.concatenate([score_cost, np.zeros(nd, np.int64)])
        arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
        supplies = np.zeros(n + nd + 1, dtype=np.int64)
        supplies[:n] = 1
        supplies[n:n + nd] = -floors
        supplies[sink] = -(n - int(floors.sum()))
        smcf.set_nodes_supplies(np.arange(n + nd + 1), supplies)
    else:
        unplaced = n + nd + 1
        cost = score_cost - PLACE
        tails_l = [p_idx, np.arange(n), n + np.arange(nd), n + np.arange(nd),
                   np.array([unplaced])]
        heads_l = [n + d_idx, np.full(n, unplaced), np.full(nd, sink), np.full(nd, sink),
                   np.array([sink])]
        caps_l = [np.ones(len(p_idx), np.int64), np.ones(n, np.int64), floors,
                  np.maximum(capacity - floors, 0), np.array([n], np.int64)]
        costs_l = [cost, np.zeros(n, np.int64), np.full(nd, -FLOOR, np.int64),
                   np.zeros(nd, np.int64), np.array([0], np.int64)]
        arcs = smcf.add_arcs_with_capacity_and_unit_cost(
            np.concatenate(tails_l), np.concatenate(heads_l), np.concatenate(caps_l),
            np.concatenate(costs_l))
        supplies = np.zeros(n + nd + 2, dtype=np.int64)
        supplies[:n] = 1
        supplies[sink] = -n
        smcf.set_nodes_supplies(np.arange(n + nd + 2), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        return FlowResult(choice=np.full(n, -1, dtype=np.int64), objective=float("nan"),
                          status="infeasible")
    flows = smcf.flows(arcs[: len(p_idx)])
    used = flows > 0
    choice = np.full(n, -1, dtype=np.int64)
    choice[p_idx[used]] = d_idx[used]
    objective = float(scores[p_idx[used], d_idx[used]].sum())
    return FlowResult(choice=choice, objective=objective, status="optimal")
