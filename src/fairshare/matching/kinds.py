"""Families by kind: the same size and the same allowed destinations.

Every rule of a plan without scores sees a family only through its kind, so a few hundred
columns (one per kind and destination) carry what a model over 20,000 families' pairs does:
how many of each kind go where. :func:`~fairshare.matching.solve.fill_rooms` solves it as an
integer program, :func:`persons_bound_by_kinds` bounds the persons any plan places by its LP
duals, and :func:`most_persons_by_kinds` is the staged LP's first stage (the most persons).
"""

from __future__ import annotations

import numpy as np

from fairshare.matching.highs import pass_and_solve
from fairshare.matching.model import FloatArray, IntArray, Pairs

Kinds = dict[tuple[int, tuple[int, ...]], list[int]]
KindsModel = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, IntArray,
                   IntArray, FloatArray]


def kinds_model(pairs: Pairs, limit: FloatArray, *, all_pairs: bool = False
                ) -> tuple[Kinds, KindsModel]:
    """Families by kind (size, allowed destinations within ``limit``), and the model over
    how many of each kind go where, as :func:`~fairshare.matching.highs.pass_and_solve`'s
    arrays: one column per (kind, destination) of cost its size, rows per kind (at most its
    families), per destination (at most ``limit`` persons) and per housing row (its units).
    ``all_pairs``: ``limit`` is the pairs' own (no pair to drop).

    Every rule of a plan without minimum intakes or scores sees a family only through its
    kind: a plan of the families gives one of the kinds (count them), and back. No per-pair
    Python object is made (400 destinations x 5,000 families stay numpy).
    """
    fam, dest = pairs.fam, pairs.dest
    if not all_pairs:
        keep = pairs.pair_sizes <= limit[pairs.dest]
        fam, dest = fam[keep], dest[keep]
    starts = np.searchsorted(fam, np.arange(pairs.n_families + 1)).tolist()
    sizes = pairs.sizes.tolist()
    by_bytes: dict[tuple[int, bytes], list[int]] = {}
    for i in range(pairs.n_families):
        if starts[i] < starts[i + 1]:
            by_bytes.setdefault((sizes[i], dest[starts[i]:starts[i + 1]].tobytes()),
                                []).append(i)
    classes: Kinds = {}
    for members in by_bytes.values():
        i = members[0]
        classes[(sizes[i], tuple(dest[starts[i]:starts[i + 1]].tolist()))] = members
    house_rows = pairs.house_by_size.tolist()

    def house_of(j: int, size: int) -> int:  # the row build_pairs gave that size there
        return int(house_rows[j][size])

    n_classes, nd = len(classes), pairs.n_dest
    cost: list[float] = []
    upper: list[float] = []
    start, index, value = [0], [], []
    for c, ((size, allowed), members) in enumerate(classes.items()):
        for j in allowed:
            cost.append(float(size))
            upper.append(float(len(members)))
            h = house_of(j, size)
            index += [c, n_classes + j] + ([n_classes + nd + h] if h >= 0 else [])
            value += [1.0, float(size)] + ([1.0] if h >= 0 else [])
            start.append(len(index))
    counts = [float(len(m)) for m in classes.values()]
    inf = float("inf")
    return classes, (
        np.asarray(cost, dtype=np.float64), np.zeros(len(cost)),
        np.asarray(upper, dtype=np.float64),
        np.concatenate([np.zeros(n_classes), np.zeros(nd), np.full(len(pairs.housing), -inf)]),
        np.concatenate([counts, limit, pairs.units]),
        np.asarray(start, dtype=np.int64), np.asarray(index, dtype=np.int64),
        np.asarray(value, dtype=np.float64))


def persons_bound_by_kinds(pairs: Pairs) -> float:
    """An upper bound on the persons any plan of ``pairs`` places, proven by weak duality.

    The LP over family kinds (:func:`kinds_model`: a few hundred columns, whatever the
    batch) has the LP relaxation's optimum. Its row duals are only a hint: from the
    destination and housing multipliers ``v, w`` clipped at 0, each kind's multiplier is set
    to ``u_c = max(0, max_j size_c (1 - v_j) - w_h(c, j))``, which makes them dual feasible
    whatever the LP solver returned, so ``sum n_c u_c + sum limit_j v_j + sum units_h w_h``
    bounds the persons of every plan (minimum intakes dropped: a relaxation). A margin far
    above float rounding is added. ``solve`` compares it with the placeable persons
    (:attr:`~fairshare.matching.route.Shape.kinds_short`).

    >>> from fairshare.matching import Destination, Family, Problem
    >>> from fairshare.matching.model import build_pairs
    >>> fams = tuple(Family(f"f{i}", 2, True) for i in range(3))
    >>> p = Problem(fams, (Destination("NB", 9, housing_units={"1-2": 2}),),
    ...             {f.id: {"NB": 0.5} for f in fams})
    >>> round(persons_bound_by_kinds(build_pairs(p)), 3)
    4.0
    """
    from fairshare.matching.highs import pass_and_solve

    classes, model = kinds_model(pairs, pairs.dest_upper.astype(np.float64), all_pairs=True)
    n_classes, nd = len(classes), pairs.n_dest
    if not n_classes:
        return 0.0
    cost, start, index = model[0], model[5], model[6]
    col_class = index[start[:-1]]
    col_dest = index[start[:-1] + 1] - n_classes
    has_house = np.diff(start) == 3
    n_house = len(pairs.housing)  # a pair without a housing row reads the extra 0 below
    col_house = np.where(has_house, index[np.minimum(start[:-1] + 2, len(index) - 1)]
                         - n_classes - nd, n_house)
    counts = np.asarray([float(len(m)) for m in classes.values()])
    limit, units = model[4][n_classes:n_classes + nd], pairs.units
    best = float(counts @ np.asarray([float(k[0]) for k in classes]))  # every family placed
    if _first_fit_places_all(classes, col_class, col_dest, col_house, limit, units):
        # A plan placing every family: the LP's optimum is ``best``, no dual bound is lower.
        return best + 1e-7 * (1.0 + abs(best))
    out = pass_and_solve(*model, integer=False)
    if len(out.row_dual) == n_classes + nd + len(units):
        for sign in (1.0, -1.0):
            v = np.maximum(0.0, sign * out.row_dual[n_classes:n_classes + nd])
            w = np.maximum(0.0, sign * out.row_dual[n_classes + nd:])
            slack = cost * (1.0 - v[col_dest]) - np.append(w, 0.0)[col_house]
            u = np.zeros(n_classes)
            np.maximum.at(u, col_class, slack)
            best = min(best, float(counts @ u + limit @ v + units @ w))
    return best + 1e-7 * (1.0 + abs(best))


def _first_fit_places_all(classes: Kinds, col_class: IntArray, col_dest: IntArray,
                          col_house: IntArray, limit: FloatArray, units: FloatArray) -> bool:
    """Whether a first fit of the kinds (fewest destinations first, then the largest, each
    at its destinations with the most room first) places every family within the limits and
    housing units: an integer plan of the model over kinds, hence of the families. A quick
    test (a few milliseconds at 20,000 families) that spares the LP when room is ample; False
    says nothing."""
    room, left_units = limit.tolist(), units.tolist()
    columns: list[list[tuple[int, int]]] = [[] for _ in classes]
    for c, j, h in zip(col_class.tolist(), col_dest.tolist(), col_house.tolist(), strict=True):
        columns[c].append((j, h if h < len(left_units) else -1))
    kinds = list(classes.items())
    for c in sorted(range(len(kinds)), key=lambda c: (len(kinds[c][0][1]), -kinds[c][0][0])):
        (size, _), members = kinds[c]
        left = len(members)
        for j, h in sorted(columns[c], key=lambda jh: -room[jh[0]]):
            take = min(left, int(room[j] // size), int(left_units[h]) if h >= 0 else left)
            if take > 0:
                room[j] -= take * size
                left -= take
                if h >= 0:
                    left_units[h] -= take
            if not left:
                break
        if left:
            return False
    return True


def most_persons_by_kinds(pairs: Pairs, max_columns: int) -> float | None:
    """The most persons the LP relaxation of ``pairs`` places (minimum intakes kept), solved
    over family kinds: the staged LP's first stage without a column per pair.

    The LP over kinds is the family LP aggregated (a kind's count at a destination is the sum
    of its families' values there, and back, spread evenly over its families), so the two
    optima are the same; minimum intakes are rows over destinations' persons, which kinds
    carry too. None when it has no solution (the minimum intakes cannot be met), or when the
    model would have more than ``max_columns`` columns (families of many different kinds,
    where column generation over the pairs is the faster way).

    >>> from fairshare.matching import Destination, Family, Problem
    >>> from fairshare.matching.model import build_pairs
    >>> fams = tuple(Family(f"f{i}", 2, True) for i in range(3))
    >>> p = Problem(fams, (Destination("NB", 9, housing_units={"1-2": 2}), Destination("ON", 1)),
    ...             {f.id: {"NB": 0.5, "ON": 0.5} for f in fams})
    >>> most_persons_by_kinds(build_pairs(p.sorted()), 1_000)
    4.0
    """
    classes, model = kinds_model(pairs, pairs.dest_upper.astype(np.float64), all_pairs=True)
    if not classes or len(model[0]) > max_columns:
        return None
    n_classes, nd = len(classes), pairs.n_dest
    row_lower = model[3].copy()
    row_lower[n_classes:n_classes + nd] = pairs.dest_lower
    out = pass_and_solve(model[0], model[1], model[2], row_lower, *model[4:], integer=False)
    return out.objective if out.status == "optimal" else None
