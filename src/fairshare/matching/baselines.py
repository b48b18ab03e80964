"""Simple rules beside the optimiser, tested the same way: greedy by score, status quo, random
(seeded) and deferred acceptance with capacities.

Each takes the :class:`~fairshare.matching.model.Pairs` arrays and returns ``choice`` (destination
index per family, ``-1`` unplaced). Greedy, random and deferred acceptance respect capacities,
housing units, exclusions and services; none of them knows about minimum intakes, so their plans
may violate floors (the plan check reports it). The status quo leaves every family where it is.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from fairshare.matching.model import IntArray, Pairs, pair_index
from fairshare.matching.problem import Problem

_BLOCK = 4096  # pairs walked between two vectorised skips of the families already placed


def greedy(pairs: Pairs) -> list[int]:
    """Best per-person score first (ties: family id, then destination code), while room lasts."""
    order = np.lexsort((pairs.dest, pairs.fam, -pairs.score))
    choice = [-1] * pairs.n_families
    placed = np.zeros(pairs.n_families, dtype=bool)
    # Remaining persons and housing units as plain Python lists: the walk takes pairs one by
    # one, where numpy scalars cost 10x more.
    persons, units = pairs.dest_upper.tolist(), pairs.units.tolist()
    fam = pairs.fam[order]
    for start in range(0, len(order), _BLOCK):
        # the pairs of families placed before this block are skipped at once, not one by one
        fs = fam[start:start + _BLOCK]
        open_ = ~placed[fs]
        ks = order[start:start + _BLOCK][open_]
        taken: list[int] = []
        for f, d, size, h in zip(fs[open_].tolist(), pairs.dest[ks].tolist(),
                                 pairs.pair_sizes[ks].tolist(), pairs.house[ks].tolist(),
                                 strict=True):
            if choice[f] < 0 and persons[d] >= size and (h < 0 or units[h] >= 1):
                choice[f] = d
                persons[d] -= size
                if h >= 0:
                    units[h] -= 1
                taken.append(f)
        placed[taken] = True
    return choice


def random_plan(pairs: Pairs, seed: int = 0) -> list[int]:
    """Families in a seeded random order each take a random allowed destination with room.

    Each family tries its pairs in the order ``rng.permutation`` of their count gives; they
    are shuffled as a list (``Generator.shuffle`` of a list takes the same draws and makes the
    same swaps as the permutation, at a third of its cost per call)."""
    rng = np.random.default_rng(seed)
    choice = [-1] * pairs.n_families
    persons, units = pairs.dest_upper.tolist(), pairs.units.tolist()
    dest, house = pairs.dest.tolist(), pairs.house.tolist()
    size = pairs.pair_sizes.tolist()
    starts = pairs.starts.tolist()
    for f in rng.permutation(pairs.n_families).tolist():
        ks = list(range(starts[f], starts[f + 1]))
        if len(ks) > 1:  # a permutation of 0 or 1 item draws nothing
            rng.shuffle(ks)
        for k in ks:
            d, h = dest[k], house[k]
            if persons[d] >= size[k] and (h < 0 or units[h] >= 1):
                choice[f] = d
                persons[d] -= size[k]
                if h >= 0:
                    units[h] -= 1
                break
    return choice


def status_quo(problem: Problem, pairs: Pairs) -> list[int]:
    """Every family stays in its current jurisdiction (-1 when that is not a destination)."""
    index = {c: j for j, c in enumerate(pairs.dest_codes)}
    current = dict(zip(problem.family_table.ids, problem.family_table.current, strict=True))
    return [index.get(current.get(fid) or "", -1) for fid in pairs.family_ids]


def _fitting_prefix(pool: IntArray, persons: float, units: dict[int, float],
                    sizes: npt.NDArray[np.signedinteger[Any]],
                    house: npt.NDArray[np.signedinteger[Any]]) -> tuple[int, float]:
    """How many leading proposals of ``pool`` (in priority order) all fit in ``persons`` and
    the housing ``units`` (taken from ``units`` in place), and the persons left: the walk over
    proposals keeps each of them, so it starts after them (they are most of every walk)."""
    cum = np.cumsum(sizes[pool], dtype=np.int64)
    n = int(np.searchsorted(cum, persons, side="right"))
    if units:
        bands = house[pool[:n]]
        for h, u in units.items():
            hits = np.flatnonzero(bands == h)
            fit = max(0, math.floor(u))  # a unit per family while at least one is left
            if len(hits) > fit:
                n = min(n, int(hits[fit]))
        for h in units:
            units[h] -= int(np.count_nonzero(bands[:n] == h))
    return n, persons - (int(cum[n - 1]) if n else 0)


def _keep(pool: IntArray, persons: float, units: dict[int, float],
          sizes: npt.NDArray[np.signedinteger[Any]],
          house: npt.NDArray[np.signedinteger[Any]]) -> npt.NDArray[np.bool_]:
    """Which proposals of ``pool`` (in priority order) a destination keeps: each in turn while
    its persons and housing units have room for it."""
    keep = np.zeros(len(pool), dtype=bool)
    n, persons = _fitting_prefix(pool, persons, units, sizes, house)
    keep[:n] = True
    rest = pool[n:]
    # Only a proposal no larger than the persons left can be kept: the walk visits those alone.
    for at, size, h in zip(np.flatnonzero(sizes[rest] <= persons).tolist(),
                           sizes[rest[sizes[rest] <= persons]].tolist(),
                           house[rest[sizes[rest] <= persons]].tolist(), strict=True):
        if size <= persons and (h < 0 or units[h] >= 1):
            keep[n + at] = True
            persons -= size
            if h >= 0:
                units[h] -= 1
    return keep


def deferred_acceptance(problem: Problem, pairs: Pairs) -> list[int]:
    """Families propose in preference order (then the rest by score); each destination keeps the
    proposals with the best per-person scores that fit its persons and housing capacity."""
    n_pairs = len(pairs.fam)
    index = {c: j for j, c in enumerate(pairs.dest_codes)}
    rank = np.full(n_pairs, len(pairs.dest_codes), dtype=np.int64)
    prefs = dict(zip(problem.family_table.ids, problem.family_table.preferences, strict=True))
    at = [(i, index[code], r) for i, fid in enumerate(pairs.family_ids)
          for r, code in enumerate(prefs.get(fid, ())) if code in index]
    if at:
        where = np.asarray(at, dtype=np.int64)
        pos = pair_index(pairs, where[:, 0], where[:, 1])
        rank[pos[pos >= 0]] = where[pos >= 0, 2]
    # Each family's proposals in order (rank, best score, destination), as one flat array.
    proposal_order = np.lexsort((pairs.dest, -pairs.score, rank, pairs.fam))
    starts = pairs.starts
    # A destination's priority over proposals: best score, then family id (pairs are sorted by
    # family id, so the family index breaks ties).
    priority = np.empty(n_pairs, dtype=np.int64)
    priority[np.lexsort((pairs.fam, -pairs.score))] = np.arange(n_pairs)
    upper = pairs.dest_upper.tolist()
    sizes, house, dest, fam = pairs.pair_sizes, pairs.house, pairs.dest, pairs.fam
    units_of = {j: [(h, float(u)) for h, (jj, _, u) in enumerate(pairs.housing) if jj == j]
                for j in range(pairs.n_dest)}
    nxt = starts[:-1].copy()
    held = {j: np.zeros(0, dtype=np.int64) for j in range(pairs.n_dest)}
    free = np.flatnonzero(starts[1:] > starts[:-1])
    while len(free):
        free = free[nxt[free] < starts[free + 1]]  # families with a proposal left
        if not len(free):
            break
        ks = proposal_order[nxt[free]]
        nxt[free] += 1
        to = dest[ks]
        rejected = []
        for j in np.unique(to).tolist():
            pool = np.concatenate([held[j], ks[to == j]])
            pool = pool[np.argsort(priority[pool])]  # priorities are distinct: one order
            keep = _keep(pool, upper[j], dict(units_of[j]), sizes, house)
            held[j] = pool[keep]
            rejected.append(pool[~keep])
        free = np.unique(fam[np.concatenate(rejected)]) if rejected else free[:0]
    choice = np.full(pairs.n_families, -1, dtype=np.int64)
    for ks in held.values():
        choice[fam[ks]] = dest[ks]
    return [int(d) for d in choice.tolist()]
