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

from fairshare.matching.model import Pairs, pair_index
from fairshare.matching.problem import Problem

_BLOCK = 4096  # pairs walked between two vectorised skips of the families already placed


class _Room:
    """Remaining persons and housing units while a rule fills destinations (plain Python
    lists: the rules walk pairs one by one, where numpy scalars cost 10x more)."""

    def __init__(self, pairs: Pairs) -> None:
        self.persons = pairs.dest_upper.tolist()
        self.units = pairs.units.tolist()
        self.size = pairs.pair_sizes.tolist()
        self.dest = pairs.dest.tolist()
        self.house = pairs.house.tolist()

    def fits(self, k: int) -> bool:
        h = self.house[k]
        return bool(self.persons[self.dest[k]] >= self.size[k]
                    and (h < 0 or self.units[h] >= 1))

    def take(self, k: int) -> None:
        self.persons[self.dest[k]] -= self.size[k]
        h = self.house[k]
        if h >= 0:
            self.units[h] -= 1


def greedy(pairs: Pairs) -> list[int]:
    """Best per-person score first (ties: family id, then destination code), while room lasts."""
    order = np.lexsort((pairs.dest, pairs.fam, -pairs.score))
    choice = [-1] * pairs.n_families
    placed = np.zeros(pairs.n_families, dtype=bool)
    room = _Room(pairs)
    fam = pairs.fam[order]
    for start in range(0, len(order), _BLOCK):
        # the pairs of families placed before this block are skipped at once, not one by one
        ks, fs = order[start:start + _BLOCK], fam[start:start + _BLOCK]
        open_ = ~placed[fs]
        for k, f in zip(ks[open_].tolist(), fs[open_].tolist(), strict=True):
            if choice[f] < 0 and room.fits(k):
                choice[f] = room.dest[k]
                room.take(k)
                placed[f] = True
    return choice


def random_plan(pairs: Pairs, seed: int = 0) -> list[int]:
    """Families in a seeded random order each take a random allowed destination with room."""
    rng = np.random.default_rng(seed)
    choice = [-1] * pairs.n_families
    room = _Room(pairs)
    starts = np.searchsorted(pairs.fam, np.arange(pairs.n_families + 1)).tolist()
    for f in rng.permutation(pairs.n_families).tolist():
        first, count = starts[f], starts[f + 1] - starts[f]
        for k in rng.permutation(count).tolist():
            if room.fits(first + k):
                choice[f] = room.dest[first + k]
                room.take(first + k)
                break
    return choice


def status_quo(problem: Problem, pairs: Pairs) -> list[int]:
    """Every family stays in its current jurisdiction (-1 when that is not a destination)."""
    index = {c: j for j, c in enumerate(pairs.dest_codes)}
    current = {f.id: f.current for f in problem.families}
    return [index.get(current.get(fid) or "", -1) for fid in pairs.family_ids]


def _fitting_prefix(pool: list[int], persons: float, units: dict[int, float],
                    sizes: npt.NDArray[np.signedinteger[Any]],
                    house: npt.NDArray[np.signedinteger[Any]]) -> tuple[int, float]:
    """How many leading proposals of ``pool`` (in priority order) all fit in ``persons`` and
    the housing ``units`` (taken from ``units`` in place), and the persons left: the walk over
    proposals keeps each of them, so it starts after them (they are most of every walk)."""
    ks = np.asarray(pool, dtype=np.int64)
    cum = np.cumsum(sizes[ks], dtype=np.int64)
    n = int(np.searchsorted(cum, persons, side="right"))
    if units:
        bands = house[ks[:n]]
        for h, u in units.items():
            hits = np.flatnonzero(bands == h)
            fit = max(0, math.floor(u))  # a unit per family while at least one is left
            if len(hits) > fit:
                n = min(n, int(hits[fit]))
        for h in units:
            units[h] -= int(np.count_nonzero(bands[:n] == h))
    return n, persons - (int(cum[n - 1]) if n else 0)


def deferred_acceptance(problem: Problem, pairs: Pairs) -> list[int]:
    """Families propose in preference order (then the rest by score); each destination keeps the
    proposals with the best per-person scores that fit its persons and housing capacity."""
    n_pairs = len(pairs.fam)
    index = {c: j for j, c in enumerate(pairs.dest_codes)}
    rank = np.full(n_pairs, len(pairs.dest_codes), dtype=np.int64)
    prefs = {f.id: f.preferences for f in problem.families}
    at = [(i, index[code], r) for i, fid in enumerate(pairs.family_ids)
          for r, code in enumerate(prefs.get(fid, ())) if code in index]
    if at:
        where = np.asarray(at, dtype=np.int64)
        pos = pair_index(pairs, where[:, 0], where[:, 1])
        rank[pos[pos >= 0]] = where[pos >= 0, 2]
    # Each family's proposals in order (rank, best score, destination), as one flat list.
    proposal_order = np.lexsort((pairs.dest, -pairs.score, rank, pairs.fam)).tolist()
    starts = np.searchsorted(pairs.fam, np.arange(pairs.n_families + 1)).tolist()
    # A destination's priority over proposals: best score, then family id (pairs are sorted by
    # family id, so the family index breaks ties).
    priority = np.empty(n_pairs, dtype=np.int64)
    priority[np.lexsort((pairs.fam, -pairs.score))] = np.arange(n_pairs)
    prio = priority.tolist()
    room = _Room(pairs)
    fam = pairs.fam.tolist()
    units_of = {j: [(h, float(u)) for h, (jj, _, u) in enumerate(pairs.housing) if jj == j]
                for j in range(pairs.n_dest)}
    nxt = starts[:-1]
    held: dict[int, list[int]] = {j: [] for j in range(pairs.n_dest)}
    free = [f for f in range(pairs.n_families) if starts[f + 1] > starts[f]]
    while free:
        proposals: dict[int, list[int]] = {}
        for f in free:
            if nxt[f] < starts[f + 1]:
                k = proposal_order[nxt[f]]
                nxt[f] += 1
                proposals.setdefault(room.dest[k], []).append(k)
        if not proposals:
            break
        free = []
        for j, new in sorted(proposals.items()):
            pool = held[j] + new
            pool.sort(key=prio.__getitem__)
            units = dict(units_of[j])
            n, persons = _fitting_prefix(pool, room.persons[j], units, pairs.pair_sizes,
                                         pairs.house)
            keep = pool[:n]
            for k in pool[n:]:
                size = room.size[k]
                h = room.house[k]
                if size <= persons and (h < 0 or units[h] >= 1):
                    keep.append(k)
                    persons -= size
                    if h >= 0:
                        units[h] -= 1
                else:
                    free.append(fam[k])
            held[j] = keep
        free = sorted(set(free))
    choice = [-1] * pairs.n_families
    for j, ks in held.items():
        for k in ks:
            choice[fam[k]] = j
    return choice
