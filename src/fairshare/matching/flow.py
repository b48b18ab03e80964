"""Individual mode: persons (not families), capacities and floors only, exact by min-cost flow.

With one person per row and only capacity and minimum-intake rows, the constraint matrix is a
bipartite incidence matrix (totally unimodular): the LP optimum is integral and a min-cost flow
(OR-Tools ``SimpleMinCostFlow``, arcs added from numpy arrays) solves it exactly. Placing a
person is worth far more than any score, so the flow places as many persons as capacity allows
first (lexicographic, as the ``outcome`` policy does for families).

When everyone fits, the flow first runs on each person's few best destinations only (a graph
3-4 times smaller) and the plan is then *certified* optimal on the full score matrix: a plan is
optimal when destination prices exist under which every person is at a cheapest destination,
prices are positive only at full destinations and negative only at destinations at their floor
(complementary slackness of the transportation LP). Those conditions are difference
constraints over the destinations, checked by Bellman-Ford on D + 1 nodes. If no such prices
exist, the flow is re-run with more candidates, then on the full graph: the result is always the
exact optimum.
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
                      allowed: npt.NDArray[np.bool_] | None = None, *,
                      candidates: tuple[int, ...] = (4, 8)) -> FlowResult:
    """Exact assignment of persons to destinations (score matrix persons x destinations).

    ``candidates``: how many best destinations per person the certified first passes use
    (``()`` goes straight to the full graph).
    """
    n, nd = scores.shape
    floors_ = np.zeros(nd, dtype=np.int64) if floors is None else np.asarray(floors, np.int64)
    capacity_ = np.asarray(capacity, dtype=np.int64)
    if int(capacity_.sum()) >= n and allowed is None:
        cost = -np.rint(np.asarray(scores, dtype=np.float64) * SCALE).astype(np.int64)
        for k in candidates:
            if k >= nd:
                break
            best = np.argpartition(cost, k - 1, axis=1)[:, :k]
            choice = _demand_flow(cost, np.repeat(np.arange(n), k), best.ravel(), capacity_,
                                  floors_)
            if choice is not None and certify(cost, choice, capacity_, floors_):
                return _result(scores, choice)
        p_all, d_all = np.divmod(np.arange(n * nd, dtype=np.int64), nd)
        choice = _demand_flow(cost, p_all, d_all, capacity_, floors_)
        if choice is None:
            return FlowResult(choice=np.full(n, -1, dtype=np.int64), objective=float("nan"),
                              status="infeasible")
        return _result(scores, choice)
    return _full_flow(scores, capacity_, floors_, allowed)


def _result(scores: npt.NDArray[np.floating], choice: npt.NDArray[np.int64]) -> FlowResult:
    placed = np.nonzero(choice >= 0)[0]
    objective = float(np.asarray(scores, dtype=np.float64)[placed, choice[placed]].sum())
    return FlowResult(choice=choice, objective=objective, status="optimal")


def _demand_flow(cost: npt.NDArray[np.int64], p_idx: npt.NDArray[np.int64],
                 d_idx: npt.NDArray[np.int64], capacity: npt.NDArray[np.int64],
                 floors: npt.NDArray[np.int64]) -> npt.NDArray[np.int64] | None:
    """Everyone placed, floors as demands, on the arcs (p_idx, d_idx); None if infeasible."""
    from ortools.graph.python import min_cost_flow

    n, nd = cost.shape
    sink = n + nd
    smcf = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([p_idx, n + np.arange(nd)])
    heads = np.concatenate([n + d_idx, np.full(nd, sink)])
    caps = np.concatenate([np.ones(len(p_idx), np.int64), np.maximum(capacity - floors, 0)])
    costs = np.concatenate([cost[p_idx, d_idx], np.zeros(nd, np.int64)])
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(n + nd + 1, dtype=np.int64)
    supplies[:n] = 1
    supplies[n:n + nd] = -floors
    supplies[sink] = -(n - int(floors.sum()))
    smcf.set_nodes_supplies(np.arange(n + nd + 1), supplies)
    if smcf.solve() != smcf.OPTIMAL:
        return None
    used = smcf.flows(arcs[: len(p_idx)]) > 0
    choice = np.full(n, -1, dtype=np.int64)
    choice[p_idx[used]] = d_idx[used]
    return choice


def certify(cost: npt.NDArray[np.int64], choice: npt.NDArray[np.int64],
            capacity: npt.NDArray[np.int64], floors: npt.NDArray[np.int64]) -> bool:
    """True when a plan placing everyone is optimal for the full cost matrix (see module doc).

    Prices pi exist with cost[i, d] + pi[d] <= cost[i, e] + pi[e] for every person i at d and
    every e, pi[d] <= 0 unless d is full, pi[d] >= 0 unless d is at its floor. These are
    difference constraints; they are feasible iff the constraint graph has no negative cycle.

    >>> c = np.array([[0, 5], [0, 5]])
    >>> certify(c, np.array([0, 1]), np.array([1, 2]), np.array([0, 0]))
    True
    >>> certify(c, np.array([0, 1]), np.array([2, 2]), np.array([0, 0]))
    False
    """
    nd = cost.shape[1]
    if (choice < 0).any():
        return False
    load = np.bincount(choice, minlength=nd)
    if (load > capacity).any() or (load < floors).any():
        return False
    zero = nd  # the node whose price is 0
    edges: list[tuple[int, int, int]] = []  # (u, v, w): pi[v] - pi[u] <= w
    for d in range(nd):
        rows = cost[choice == d]
        if len(rows):
            # pi[d] - pi[e] <= min over persons at d of (cost[i, e] - cost[i, d])
            slack = (rows - rows[:, [d]]).min(axis=0)
            edges.extend((e, d, int(slack[e])) for e in range(nd) if e != d)
        if load[d] < capacity[d]:
            edges.append((zero, d, 0))
        if load[d] > floors[d]:
            edges.append((d, zero, 0))
    dist = [0] * (nd + 1)
    for _ in range(nd + 1):
        changed = False
        for u, v, w in edges:
            if dist[u] + w < dist[v]:
                dist[v] = dist[u] + w
                changed = True
        if not changed:
            return True
    return False


def _full_flow(scores: npt.NDArray[np.floating], capacity: npt.NDArray[np.int64],
               floors: npt.NDArray[np.int64], allowed: npt.NDArray[np.bool_] | None) -> FlowResult:
    """The general case: not everyone fits (or some pairs are refused); unplaced persons allowed."""
    from ortools.graph.python import min_cost_flow

    n, nd = scores.shape
    mask = np.ones((n, nd), dtype=bool) if allowed is None else allowed
    p_idx, d_idx = np.nonzero(mask)
    smcf = min_cost_flow.SimpleMinCostFlow()
    score_cost = -np.rint(scores[p_idx, d_idx] * SCALE).astype(np.int64)
    # Nodes: persons 0..n-1, destinations n..n+nd-1, sink n+nd, "unplaced" n+nd+1.
    sink = n + nd
    unplaced = n + nd + 1
    cost = score_cost - PLACE
    tails_l = [p_idx, np.arange(n), n + np.arange(nd), n + np.arange(nd), np.array([unplaced])]
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
