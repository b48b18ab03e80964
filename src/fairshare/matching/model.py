"""The solver model, built by small define_* blocks with the HiGHS matrix API.

Variables: one binary x[f, d] per *allowed* pair (consenting family f may go to destination d:
not excluded, every required service offered, a score given, room for its size, a housing unit
of its band). Families are never split.

Rows come in named blocks, in this order (:func:`row_blocks`; duals are read back by name,
:class:`RowDuals`):

1. ``families``: one row per family, ``sum_d x[f, d] <= 1`` (``== 1`` when every placeable
   family must go);
2. ``destinations``: one row per destination,
   ``min_intake <= sum_f size_f x[f, d] <= min(capacity, max_intake)``;
3. ``housing``: one row per (destination, housing band), ``sum_{f in band} x[f, d] <= units``;
4. ``persons`` (optional): ``sum size_f x[f, d] >= persons`` (lexicographic stage 2);
5. ``floor`` (optional): ``sum size_f score[f, d] x[f, d] >= floor`` (outcome floor).

Arrays are built once in numpy (:class:`Pairs`); a model over any subset of the pairs (column
generation, the small MIP on fractional families) is a CSC matrix passed to ``Highs.passModel``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from fairshare.matching.policy import Policy
from fairshare.matching.problem import (
    Destination,
    Family,
    Problem,
    ScoreTable,
    score_matrix,
)
from fairshare.matching.route import Shape

FloatArray = npt.NDArray[np.float64]
# Indices: int64, or int32 for the per-pair family and destination columns (half the memory).
IntArray = npt.NDArray[np.signedinteger[Any]]
BoolArray = npt.NDArray[np.bool_]
INF = float("inf")


@dataclass(frozen=True)
class Pairs:
    """Allowed (family, destination) pairs of a sorted problem, as numpy arrays.

    Per-pair columns are as narrow as exactness allows: family, destination and housing row
    indices in int32 (the counts of families and destinations, not of pairs, bound them),
    scores and terms in float64. Arithmetic on indices that can exceed int32 (a pair's
    position, family x destination) goes through :func:`pair_index`.
    """

    family_ids: tuple[str, ...]
    dest_codes: tuple[str, ...]
    sizes: IntArray  # per family
    placeable: BoolArray  # per family: consenting with at least one allowed destination
    fam: IntArray  # per pair: family index (int32)
    dest: IntArray  # per pair: destination index (int32)
    score: FloatArray  # per pair: per-person predicted outcome
    pref: FloatArray  # per pair: preference bonus in [0, 1]
    tie: FloatArray  # per pair: 1 when relatives live there
    gap: FloatArray  # per pair: fair-share gap bonus in [0, 1]
    house: IntArray  # per pair: housing row index (-1 if the destination has no housing limit)
    dest_lower: FloatArray  # per destination: minimum intake (persons)
    dest_upper: FloatArray  # per destination: limit (persons)
    housing: tuple[tuple[int, str, int], ...] = ()  # (destination index, band, units) per row
    consenting: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # Objectives computed once per (stage, policy) and carried with the pairs (read-only).
    cache: dict[Any, npt.NDArray[Any]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_families(self) -> int:
        """Number of families (rows of type 1)."""
        return len(self.family_ids)

    @property
    def n_dest(self) -> int:
        """Number of destinations."""
        return len(self.dest_codes)

    @property
    def pair_sizes(self) -> npt.NDArray[np.signedinteger[Any]]:
        """Family size of each pair, in the narrowest signed integer type that holds the
        largest family (int8 for families of up to 127; computed once): exact, and promoted to
        float64 in any product with a float64 array."""
        out = self.cache.get("pair_sizes")
        if out is None:
            largest = int(self.sizes.max(initial=1))
            kind = np.int8 if largest <= 127 else np.int16 if largest <= 32767 else np.int32
            # Pairs are sorted by family: repeat each size, no per-pair int64 temporary.
            out = np.repeat(self.sizes.astype(kind), np.diff(self.starts))
            out.setflags(write=False)
            self.cache["pair_sizes"] = out
        return out

    @property
    def house_by_size(self) -> IntArray:
        """The housing row of a family of each size at each destination, ``[destination,
        size]``, as the pairs hold it (-1: no housing limit there, or no pair of that size).
        Read from the pairs, so it is the rule :func:`build_pairs` applied
        (:meth:`~fairshare.matching.problem.Destination.band_for`); computed once, in blocks
        (no per-pair index temporary at 34 M pairs)."""
        out = self.cache.get("house_by_size")
        if out is None:
            out = np.full((self.n_dest, int(self.sizes.max(initial=1)) + 1), -1, dtype=np.int64)
            sizes, step = self.pair_sizes, 1 << 22
            for a in range(0, len(self.fam), step):
                out[self.dest[a:a + step], sizes[a:a + step]] = self.house[a:a + step]
            out.setflags(write=False)
            self.cache["house_by_size"] = out
        return out

    @property
    def starts(self) -> IntArray:
        """Where each family's pairs start (pairs are sorted by family): family ``i`` has the
        pairs ``starts[i]:starts[i + 1]`` (computed once)."""
        out = self.cache.get("starts")
        if out is None:
            out = np.searchsorted(self.fam, np.arange(self.n_families + 1)).astype(np.int64)
            out.setflags(write=False)
            self.cache["starts"] = out
        return out

    @property
    def units(self) -> FloatArray:
        """Housing units offered per housing row."""
        return np.asarray([u for _, _, u in self.housing], dtype=np.float64)


@dataclass
class SubProblem:
    """A part of the problem to solve exactly: its columns, and what fixed families use."""

    cols: IntArray
    used_dest: FloatArray
    used_house: FloatArray


def whole(pairs: Pairs) -> SubProblem:
    """The whole problem as a sub-problem."""
    return SubProblem(cols=np.arange(len(pairs.fam), dtype=np.int64),
                      used_dest=np.zeros(pairs.n_dest), used_house=np.zeros(len(pairs.housing)))


def persons_of(pairs: Pairs, chosen: IntArray) -> float:
    """Persons placed by the pairs ``chosen`` (summed in integers)."""
    return float(pairs.sizes[pairs.fam[chosen]].sum())


def family_pairs(pairs: Pairs, families: IntArray) -> IntArray:
    """The pairs of ``families`` (sorted family indices), in order: no per-pair temporary.

    >>> p = Pairs(("a", "b", "c"), ("NB", "ON"), np.zeros(3, np.int64), np.ones(3, bool),
    ...           np.array([0, 0, 1, 2, 2]),
    ...           np.array([0, 1, 1, 0, 1]), *([np.zeros(5)] * 5), np.zeros(2), np.zeros(2))
    >>> family_pairs(p, np.array([0, 2])).tolist()
    [0, 1, 3, 4]
    """
    starts = pairs.starts
    lo, counts = starts[families], starts[families + 1] - starts[families]
    total = int(counts.sum())
    shift = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    out: IntArray = shift + np.arange(total, dtype=np.int64)
    return out


def pair_index(pairs: Pairs, families: IntArray, dests: IntArray) -> IntArray:
    """Position of the pair (``families[k]``, ``dests[k]``) among the pairs, -1 where that pair
    is not allowed: a binary search within each family's pairs (sorted by destination), so no
    family x destination key is ever formed.

    >>> p = Pairs(("a", "b"), ("NB", "ON", "QC"), np.zeros(2, np.int64), np.ones(2, bool),
    ...           np.array([0, 0, 1]), np.array([0, 2, 1]), *([np.zeros(3)] * 5), np.zeros(3), np.zeros(3))
    >>> pair_index(p, np.array([0, 0, 1, 1]), np.array([2, 1, 1, 0])).tolist()
    [1, -1, 2, -1]
    """
    fams = np.asarray(families, dtype=np.int64)
    want = np.asarray(dests, dtype=np.int64)
    n = len(pairs.dest)
    if not n or not len(fams):
        return np.full(len(fams), -1, dtype=np.int64)
    lo, end = pairs.starts[fams], pairs.starts[fams + 1]
    hi = end.copy()
    active = lo < hi
    while active.any():  # lower bound of want in dest[lo:hi]; the ranges halve each time
        mid = (lo + hi) >> 1
        less = pairs.dest[np.minimum(mid, n - 1)] < want
        lo = np.where(active & less, mid + 1, lo)
        hi = np.where(active & ~less, mid, hi)
        active = lo < hi
    found = (lo < end) & (pairs.dest[np.minimum(lo, n - 1)] == want)
    out: IntArray = np.where(found, lo, -1)
    return out


def usage(pairs: Pairs, chosen: IntArray) -> tuple[FloatArray, FloatArray]:
    """Persons per destination and units per housing row used by the pairs ``chosen``."""
    used_dest = np.bincount(pairs.dest[chosen], weights=pairs.pair_sizes[chosen],
                            minlength=pairs.n_dest).astype(np.float64)
    h = pairs.house[chosen]
    used_house = np.bincount(h[h >= 0], minlength=len(pairs.housing)).astype(np.float64)
    return used_dest, used_house


def relative_gap(bound: float | None, objective: float) -> float:
    """``(bound - objective) / |bound|``, never negative (0 when the bound is 0 or None).

    >>> relative_gap(100.0, 99.0), relative_gap(0.0, 0.0)
    (0.01, 0.0)
    """
    if not bound:
        return 0.0
    return max(0.0, (bound - objective) / abs(bound))


def allowed_reason(problem: Problem, family_id: str, code: str) -> str | None:
    """Why a family cannot go to a destination (a short code), or None if it can.

    Codes: ``no-consent``, ``excluded``, ``service:<name>``, ``no-score``, ``too-large``,
    ``no-housing``.
    """
    fam = next(f for f in problem.families if f.id == family_id)
    dest = next(d for d in problem.destinations if d.code == code)
    return pair_reason(problem, fam, dest)


def pair_reason(problem: Problem, fam: Family, dest: Destination) -> str | None:
    if not fam.consent:
        return "no-consent"
    if dest.code in fam.excluded:
        return "excluded"
    missing = sorted(fam.services - dest.services)
    if missing:
        return "service:" + missing[0]
    if dest.code not in problem.scores.get(fam.id, {}):
        return "no-score"
    if fam.size > dest.limit:
        return "too-large"
    if dest.housing_units is not None:
        band = dest.band_for(fam.size)
        if band is None or dest.housing_units[band] <= 0:
            return "no-housing"
    return None


def build_pairs(problem: Problem) -> Pairs:
    """Arrays of every allowed pair of ``problem`` (sorted by family id, then destination code).

    One pass over the families fills family x destination matrices; the allowed mask and the
    pair arrays are then computed in numpy (about 1 s per 100,000 families).
    """
    prob = problem.sorted()
    fams, dests = prob.family_table, prob.destinations
    n, nd = len(fams), len(dests)
    codes = [d.code for d in dests]
    col = {c: j for j, c in enumerate(codes)}
    housing: list[tuple[int, str, int]] = []
    # house_of[j, size] = housing row of a family of that size at destination j (-1: none;
    # -2: the destination limits housing but has no band for that size).
    sizes = fams.sizes
    max_size = int(sizes.max()) if n else 1
    house_of = np.full((nd, max_size + 1), -1, dtype=np.int64)
    for j, d in enumerate(dests):
        if d.housing_units is None:
            continue
        row: dict[str, int] = {}
        for band in sorted(d.housing_units):
            row[band] = len(housing)
            housing.append((j, band, int(d.housing_units[band])))
        for size in range(max_size + 1):
            held = d.band_for(size)
            house_of[j, size] = (row[held] if held is not None and d.housing_units[held] > 0
                                 else -2)
    family_ids = fams.ids
    score = score_matrix(prob.scores, family_ids, tuple(codes))
    # Preferences and ties are few per family: (family, destination, value) triples, not
    # dense matrices.
    pref_at: list[tuple[int, int, float]] = []
    tie_at: list[tuple[int, int]] = []
    blocked = np.zeros((n, nd), dtype=bool)
    needs: dict[frozenset[str], list[int]] = {}
    for i, excluded in enumerate(fams.excluded):  # the columns are mostly empty
        for code in excluded:
            if code in col:
                blocked[i, col[code]] = True
    for i, services in enumerate(fams.services):
        if services:
            needs.setdefault(services, []).append(i)
    for i, ranked in enumerate(fams.preferences):
        k = len(ranked)
        pref_at += [(i, col[code], (k - r) / k) for r, code in enumerate(ranked) if code in col]
    for i, ties in enumerate(fams.ties):
        tie_at += [(i, col[code]) for code in ties if code in col]
    for services, rows in needs.items():  # one mask per distinct set of needed services
        lacks = np.asarray([not services <= d.services for d in dests], dtype=bool)
        blocked[np.asarray(rows, dtype=np.int64)] |= lacks[None, :]
    consenting = fams.consent
    limit = np.asarray([float(d.limit) for d in dests], dtype=np.float64)
    allowed = ~blocked
    del blocked
    allowed &= consenting[:, None]
    allowed &= ~np.isnan(score)
    allowed &= sizes[:, None] <= limit[None, :]
    no_band = house_of == -2  # the destination limits housing, with no band for that size
    if no_band.any():
        allowed &= ~no_band[:, sizes].T
    # The pairs, family by family, in blocks of rows: int32 indices, no int64 temporary of
    # the size of the pairs (34 M pairs at 400 x 100,000: 270 MB each).
    counts = np.count_nonzero(allowed, axis=1)
    fam_a = np.repeat(np.arange(n, dtype=np.int32), counts)
    dest_a = np.empty(len(fam_a), dtype=np.int32)
    pair_score = np.empty(len(fam_a), dtype=np.float64)
    step = max(1, (1 << 22) // max(nd, 1))
    pos = 0
    for r0 in range(0, n, step):
        in_rows, in_cols = np.nonzero(allowed[r0:r0 + step])
        dest_a[pos:pos + len(in_cols)] = in_cols
        pair_score[pos:pos + len(in_cols)] = score[r0 + in_rows, in_cols]
        pos += len(in_cols)
    del allowed
    house = (house_of[dest_a, sizes[fam_a]].astype(np.int32) if housing
             else np.broadcast_to(np.int32(-1), (len(fam_a),)))  # no housing rows: no memory
    pairs = Pairs(
        family_ids=family_ids, dest_codes=tuple(codes), sizes=sizes,
        placeable=counts > 0, fam=fam_a, dest=dest_a, score=pair_score,
        pref=zeros(len(fam_a)), tie=zeros(len(fam_a)), gap=zeros(len(fam_a)), house=house,
        dest_lower=_min_intakes(dests),
        dest_upper=limit, housing=tuple(housing), consenting=consenting)

    def scatter(at: list[tuple[int, int]], values: list[float]) -> FloatArray:
        if not at:  # nothing to scatter: a zero-stride view, no memory (40 M pairs: 320 MB)
            return zeros(len(fam_a))
        out = np.zeros(len(fam_a))
        where = np.asarray(at, dtype=np.int64)
        k = pair_index(pairs, where[:, 0], where[:, 1])
        hit = k >= 0
        out[k[hit]] = np.asarray(values)[hit]
        return out

    shortfall = np.array([max(0.0, d.shortfall or 0.0) for d in dests], dtype=np.float64)
    gap_by_dest = shortfall / shortfall.max() if nd and shortfall.max() > 0 else np.zeros(nd)
    if not isinstance(prob.scores, ScoreTable):  # a table's own array costs nothing again
        score.setflags(write=False)
        pairs.cache["score_matrix"] = score  # for the explanations (0.1 s at 20,000 x 13)
    return dataclasses.replace(
        pairs, pref=scatter([(i, j) for i, j, _ in pref_at], [v for _, _, v in pref_at]),
        tie=scatter(tie_at, [1.0] * len(tie_at)),
        gap=gap_by_dest[dest_a] if gap_by_dest.any() else zeros(len(fam_a)))


def pair_score_matrix(problem: Problem, pairs: Pairs) -> npt.NDArray[np.float64]:
    """Scores of the pairs' families x destinations (NaN where none), allowed or not: the
    matrix :func:`build_pairs` read, when it kept it, else read from ``problem`` again."""
    kept = pairs.cache.get("score_matrix")
    if kept is not None:
        return kept
    return score_matrix(problem.scores, pairs.family_ids, pairs.dest_codes)


def _min_intakes(dests: tuple[Destination, ...]) -> FloatArray:
    return np.asarray([float(d.min_intake or 0) for d in dests], dtype=np.float64)


def with_min_intakes(pairs: Pairs, problem: Problem) -> Pairs:
    """The pairs of ``problem``, sorted, which differs from the one of ``pairs`` only in its
    destinations' minimum intakes (what :func:`build_pairs` would give, without building)."""
    return dataclasses.replace(pairs, dest_lower=_min_intakes(problem.sorted().destinations),
                               cache=dict(pairs.cache))


def zeros(n: int) -> FloatArray:
    """``n`` zeros as a read-only zero-stride view: no memory, whatever ``n``."""
    out: FloatArray = np.broadcast_to(np.float64(0.0), (n,))
    return out


def pair_values(pairs: Pairs, policy: Policy, *, outcome_only: bool = False,
                part: slice = slice(None)) -> FloatArray:
    """Objective coefficient of each pair (of the pairs ``part``): family size times the
    policy's per-person value (terms of weight 0 skipped: one temporary array less each)."""
    sizes, score = pairs.pair_sizes[part], pairs.score[part]
    if outcome_only:
        out: FloatArray = sizes * score
        return out
    per_person = policy.outcome * score
    for weight, term in ((policy.preference, pairs.pref), (policy.ties, pairs.tie),
                         (policy.fair_share, pairs.gap)):
        if weight:
            per_person += weight * term[part]
    if not policy.place_all:
        per_person += policy.unplaced_penalty
    per_person *= sizes
    return per_person


@dataclass
class RowSpec:
    """Which optional rows a model has, and how much of each row is already used by fixed pairs.

    Attributes:
        must_place: per family, True if its row is ``== 1`` (else ``<= 1``).
        persons_min: right-hand side of the persons row, or None for no such row.
        floor: right-hand side of the outcome-floor row, or None for no such row.
        used_dest: persons already placed at each destination by fixed families.
        used_house: units already used in each housing row by fixed families.
    """

    must_place: BoolArray
    persons_min: float | None = None
    floor: float | None = None
    used_dest: FloatArray | None = None
    used_house: FloatArray | None = None


def row_blocks(pairs: Pairs, *, persons: bool = False, floor: bool = False
               ) -> dict[str, slice]:
    """The named row blocks of the model and where each lies (the module docstring)."""
    nf, nd, nh = pairs.n_families, pairs.n_dest, len(pairs.housing)
    blocks = {"families": slice(0, nf), "destinations": slice(nf, nf + nd),
              "housing": slice(nf + nd, nf + nd + nh)}
    end = nf + nd + nh
    if persons:
        blocks["persons"] = slice(end, end + 1)
        end += 1
    if floor:
        blocks["floor"] = slice(end, end + 1)
    return blocks


@dataclass(frozen=True)
class RowDuals:
    """Row duals of an LP, by block: per family, per destination, per housing row, and the
    persons and floor rows (0 when the model has none)."""

    families: FloatArray
    destinations: FloatArray
    housing: FloatArray
    persons: float = 0.0
    floor: float = 0.0

    @classmethod
    def of(cls, pairs: Pairs, row_dual: FloatArray, spec: RowSpec) -> RowDuals:
        """Split HiGHS's row duals of a model built for ``spec`` into named blocks."""
        b = row_blocks(pairs, persons=spec.persons_min is not None, floor=spec.floor is not None)
        return cls(families=row_dual[b["families"]], destinations=row_dual[b["destinations"]],
                   housing=row_dual[b["housing"]],
                   persons=float(row_dual[b["persons"]][0]) if "persons" in b else 0.0,
                   floor=float(row_dual[b["floor"]][0]) if "floor" in b else 0.0)


def reduced_costs(pairs: Pairs, values: FloatArray, duals: RowDuals,
                  floor_coef: FloatArray | None = None) -> FloatArray:
    """``c - A^T y`` for every pair at the row duals ``duals``."""
    rc = values - duals.families[pairs.fam] - pairs.pair_sizes * (
        duals.destinations[pairs.dest] + duals.persons)
    has = pairs.house >= 0
    rc[has] -= duals.housing[pairs.house[has]]
    if duals.floor and floor_coef is not None:
        rc -= floor_coef * duals.floor
    return rc


def define_assignment_variables(pairs: Pairs, cols: IntArray, objective: FloatArray,
                                integer: bool) -> tuple[FloatArray, FloatArray, FloatArray, bool]:
    """Columns: cost, lower and upper bound (binary when ``integer``)."""
    cost = objective[cols].astype(np.float64)
    return cost, np.zeros(len(cols)), np.ones(len(cols)), integer


def define_family_rows(pairs: Pairs, spec: RowSpec) -> tuple[FloatArray, FloatArray]:
    """Each family at most once; exactly once where ``spec.must_place``."""
    lower = np.where(spec.must_place, 1.0, 0.0)
    return lower, np.ones(pairs.n_families)


def define_capacity_constraints(pairs: Pairs, spec: RowSpec) -> tuple[FloatArray, FloatArray]:
    """Persons per destination between min intake and the limit, less what fixed pairs use."""
    used = spec.used_dest if spec.used_dest is not None else np.zeros(pairs.n_dest)
    return pairs.dest_lower - used, pairs.dest_upper - used


def define_housing_constraints(pairs: Pairs, spec: RowSpec) -> tuple[FloatArray, FloatArray]:
    """Housing units per destination and family-size band."""
    units = pairs.units
    used = spec.used_house if spec.used_house is not None else np.zeros(len(units))
    return np.full(len(units), -INF), units - used


def define_matrix(pairs: Pairs, cols: IntArray, spec: RowSpec, floor_coef: FloatArray | None
                  ) -> tuple[IntArray, IntArray, FloatArray]:
    """CSC arrays (start, index, value) of the columns ``cols`` in the fixed row layout."""
    nf, nd, nh = pairs.n_families, pairs.n_dest, len(pairs.housing)
    size = pairs.sizes[pairs.fam[cols]].astype(np.float64)
    entries_rows = [pairs.fam[cols], nf + pairs.dest[cols]]
    entries_vals = [np.ones(len(cols)), size]
    has_house = pairs.house[cols] >= 0
    entries_rows.append(np.where(has_house, nf + nd + pairs.house[cols], -1))
    entries_vals.append(np.ones(len(cols)))
    extra = nf + nd + nh
    if spec.persons_min is not None:
        entries_rows.append(np.full(len(cols), extra))
        entries_vals.append(size)
        extra += 1
    if spec.floor is not None:
        assert floor_coef is not None  # nosec B101 # type narrowing / internal invariant
        entries_rows.append(np.full(len(cols), extra))
        entries_vals.append(floor_coef[cols])
    rows = np.stack(entries_rows, axis=1)
    vals = np.stack(entries_vals, axis=1)
    keep = rows >= 0
    counts = keep.sum(axis=1)
    start = np.zeros(len(cols) + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    return start, rows[keep].astype(np.int64), vals[keep].astype(np.float64)


def choice_of(pairs: Pairs, chosen: IntArray) -> list[int]:
    """The destination index of each family (-1 if unplaced) under the pairs ``chosen``."""
    choice = np.full(pairs.n_families, -1, dtype=np.int64)
    choice[pairs.fam[chosen]] = pairs.dest[chosen]
    return [int(d) for d in choice.tolist()]


def chosen_of(pairs: Pairs, choice: list[int]) -> IntArray:
    """The pairs a plan uses, from each family's destination index (inverse of choice_of)."""
    return np.flatnonzero(np.asarray(choice)[pairs.fam] == pairs.dest).astype(np.int64)


@dataclass(frozen=True)
class CrashBasis:
    """A starting basis for the simplex method: the columns ``basic``, the rows ``tight`` at
    their upper bound, every other column at its lower bound and every other row's slack basic.

    Non-singular when each tight row holds exactly one basic column and no basic column has a
    non-zero in another tight row: each family's best pair with its family row tight. Started
    there, the dual simplex repairs the capacities in a few hundred iterations instead of
    taking one per family from the slack basis.
    """

    basic: IntArray  # positions among the model's columns
    tight: IntArray  # row indices


def define_crash_basis(pairs: Pairs, cols: IntArray, ranking: FloatArray, values: FloatArray,
                       must: BoolArray) -> CrashBasis:
    """The plan "every family at its best pair by ``ranking``" as a basis of the model over
    ``cols``. A family free to stay unplaced (not ``must``) starts there unless its best pair
    has a positive value."""
    fam = pairs.fam[cols]
    order = np.lexsort((-ranking[cols], fam))
    best = order[np.r_[True, fam[order[1:]] != fam[order[:-1]]]] if len(order) else order
    best = best[must[fam[best]] | (values[cols[best]] > 0)]
    return CrashBasis(basic=best.astype(np.int64), tight=fam[best].astype(np.int64))


def define_objective(pairs: Pairs, policy: Policy, *, stage: str) -> FloatArray:
    """Objective per pair for a stage: ``persons`` (lexicographic stage 1), ``outcome`` (the
    outcome floor's reference) or ``value`` (the policy's weights).

    Computed once per pairs, stage and policy, then carried (a read-only array)."""
    key = (stage, policy if stage == "value" else None)
    out = pairs.cache.get(key)
    if out is None:
        out = (pairs.pair_sizes.astype(np.float64) if stage == "persons"
               else pair_values(pairs, policy, outcome_only=stage == "outcome"))
        out.setflags(write=False)
        pairs.cache[key] = out
    return out


def plan_objective(pairs: Pairs, policy: Policy, chosen: IntArray, stage: str = "value"
                   ) -> float:
    """The objective (of ``stage``) of the plan using the pairs ``chosen``."""
    return float(define_objective(pairs, policy, stage=stage)[chosen].sum())


def row_bounds(pairs: Pairs, spec: RowSpec) -> tuple[FloatArray, FloatArray]:
    """Lower and upper bounds of every row, in the fixed layout."""
    parts = [define_family_rows(pairs, spec), define_capacity_constraints(pairs, spec),
             define_housing_constraints(pairs, spec)]
    if spec.persons_min is not None:
        parts.append((np.array([spec.persons_min]), np.array([INF])))
    if spec.floor is not None:
        parts.append((np.array([spec.floor]), np.array([INF])))
    lower = np.concatenate([p[0] for p in parts])
    upper = np.concatenate([p[1] for p in parts])
    return lower, upper


def shape_of(pairs: Pairs) -> Shape:
    """What the route depends on (:func:`~fairshare.matching.route.plan_route`)."""
    return Shape(n_families=pairs.n_families, n_dest=pairs.n_dest,
                 persons=float(pairs.sizes[pairs.placeable].sum()),
                 capacity=float(pairs.dest_upper.sum()), n_pairs=len(pairs.fam))
