"""Simple rules beside the optimiser, tested the same way: greedy by score, status quo, random
(seeded) and deferred acceptance with capacities.

Each takes the :class:`~fairshare.matching.model.Pairs` arrays and returns ``choice`` (destination
index per family, ``-1`` unplaced). Greedy, random and deferred acceptance respect capacities,
housing units, exclusions and services; none of them knows about minimum intakes, so their plans
may violate floors (the plan check reports it). The status quo leaves every family where it is.
"""

from __future__ import annotations

import numpy as np

from fairshare.matching.model import Pairs
from fairshare.matching.problem import Problem


class _Room:
    """Remaining persons and housing units while a rule fills destinations."""

    def __init__(self, pairs: Pairs) -> None:
        self.persons = pairs.dest_upper.copy()
        self.units = pairs.units
        self.pairs = pairs

    def fits(self, k: int) -> bool:
        p = self.pairs
        size = float(p.sizes[p.fam[k]])
        h = int(p.house[k])
        return bool(self.persons[p.dest[k]] >= size and (h < 0 or self.units[h] >= 1))

    def take(self, k: int, sign: float = 1.0) -> None:
        p = self.pairs
        self.persons[p.dest[k]] -= sign * float(p.sizes[p.fam[k]])
        h = int(p.house[k])
        if h >= 0:
            self.units[h] -= sign


def greedy(pairs: Pairs) -> list[int]:
    """Best per-person score first (ties: family id, then destination code), while room lasts."""
    order = np.lexsort((pairs.dest, pairs.fam, -pairs.score))
    choice = [-1] * pairs.n_families
    room = _Room(pairs)
    for k in order.tolist():
        f = int(pairs.fam[k])
        if choice[f] < 0 and room.fits(k):
            choice[f] = int(pairs.dest[k])
            room.take(k)
    return choice


def random_plan(pairs: Pairs, seed: int = 0) -> list[int]:
    """Families in a seeded random order each take a random allowed destination with room."""
    rng = np.random.default_rng(seed)
    choice = [-1] * pairs.n_families
    room = _Room(pairs)
    by_family: dict[int, list[int]] = {}
    for k, f in enumerate(pairs.fam.tolist()):
        by_family.setdefault(f, []).append(k)
    for f in rng.permutation(pairs.n_families).tolist():
        options = by_family.get(int(f), [])
        for k in rng.permutation(len(options)).tolist():
            if room.fits(options[k]):
                choice[int(f)] = int(pairs.dest[options[k]])
                room.take(options[k])
                break
    return choice


def status_quo(problem: Problem, pairs: Pairs) -> list[int]:
    """Every family stays in its current jurisdiction (-1 when that is not a destination)."""
    index = {c: j for j, c in enumerate(pairs.dest_codes)}
    current = {f.id: f.current for f in problem.families}
    return [index.get(current.get(fid) or "", -1) for fid in pairs.family_ids]


def deferred_acceptance(problem: Problem, pairs: Pairs) -> list[int]:
    """Families propose in preference order (then the rest by score); each destination keeps the
    proposals with the best per-person scores that fit its persons and housing capacity."""
    prefs = {f.id: f.preferences for f in problem.families}
    lists: dict[int, list[int]] = {}
    for k, f in enumerate(pairs.fam.tolist()):
        lists.setdefault(f, []).append(k)
    for f, ks in lists.items():
        ranked = prefs.get(pairs.family_ids[f], ())
        rank = {c: r for r, c in enumerate(ranked)}

        def key(k: int, rank: dict[str, int] = rank) -> tuple[int, float, int]:
            code = pairs.dest_codes[int(pairs.dest[k])]
            return (rank.get(code, len(rank)), -float(pairs.score[k]), int(pairs.dest[k]))

        ks.sort(key=key)
    nxt = dict.fromkeys(lists, 0)
    held: dict[int, list[int]] = {j: [] for j in range(pairs.n_dest)}
    free = sorted(lists)
    while free:
        proposals: dict[int, list[int]] = {}
        for f in free:
            if nxt[f] < len(lists[f]):
                k = lists[f][nxt[f]]
                nxt[f] += 1
                proposals.setdefault(int(pairs.dest[k]), []).append(k)
        if not proposals:
            break
        free = []
        for j, new in sorted(proposals.items()):
            pool = sorted(held[j] + new,
                          key=lambda k: (-float(pairs.score[k]), pairs.family_ids[pairs.fam[k]]))
            persons = float(pairs.dest_upper[j])
            units = {h: float(u) for h, (jj, _, u) in enumerate(pairs.housing) if jj == j}
            keep: list[int] = []
            for k in pool:
                size = float(pairs.sizes[pairs.fam[k]])
                h = int(pairs.house[k])
                if size <= persons and (h < 0 or units[h] >= 1):
                    keep.append(k)
                    persons -= size
                    if h >= 0:
                        units[h] -= 1
                else:
                    free.append(int(pairs.fam[k]))
            held[j] = keep
        free = sorted(set(free))
    choice = [-1] * pairs.n_families
    for j, ks in held.items():
        for k in ks:
            choice[int(pairs.fam[k])] = j
    return choice
