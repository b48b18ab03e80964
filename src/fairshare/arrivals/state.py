"""A stream as dense numpy arrays, and the capacity left at each moment of the year.

Families are ordered by (batch, arrival date, id) and destinations by code, so every engine sees
the same order whatever the row order of the input. ``allowed[f, d]`` follows the matching
engine's rules minus housing (not used over time): the family consented, did not exclude the
destination, every service it needs is offered there, a score is given and the family fits the
destination's limit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fairshare.arrivals.stream import Stream, batch_end
from fairshare.i18n import msg

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class StreamArrays:
    """The stream in the engines' order (see the module docstring).

    Attributes:
        family_ids: per family, in (batch, arrival, id) order.
        codes: destination codes, sorted.
        sizes: persons per family.
        arrived: arrival day per family (days since ``origin``).
        batch: batch index per family (batches in time order).
        batch_ends: last day of each batch (the decision date of its families).
        allowed: (families x destinations) pairs a family may take.
        score: per-member predicted outcome (0 where not allowed).
        capacity: persons each destination may receive over the horizon.
        row_dest, row_cap: sub-quota rows (destination index, persons).
        touches: per batch and destination, the sub-quota rows a placement decided at the end
            of that batch counts in (one row, several with carry-forward, none outside periods).
        origin: day 0.
    """

    family_ids: tuple[str, ...]
    codes: tuple[str, ...]
    sizes: IntArray
    arrived: IntArray
    batch: IntArray
    batch_ends: tuple[dt.date, ...]
    allowed: BoolArray
    score: FloatArray
    capacity: IntArray
    row_dest: IntArray
    row_cap: IntArray
    touches: tuple[tuple[IntArray, ...], ...]
    origin: dt.date

    @property
    def n_batches(self) -> int:
        """Number of batches."""
        return len(self.batch_ends)

    def batch_slice(self, b: int) -> slice:
        """Families of batch ``b`` (contiguous in the engines' order)."""
        lo = int(np.searchsorted(self.batch, b, side="left"))
        hi = int(np.searchsorted(self.batch, b, side="right"))
        return slice(lo, hi)

    def value(self, choice: IntArray) -> tuple[int, float]:
        """Persons placed and total outcome (sum of size x score) of a plan."""
        placed = choice >= 0
        idx = np.flatnonzero(placed)
        persons = int(self.sizes[idx].sum())
        outcome = float((self.sizes[idx] * self.score[idx, choice[idx]]).sum())
        return persons, outcome


def stream_arrays(stream: Stream, cadence: str) -> StreamArrays:
    """The dense form of a checked stream for batches of ``cadence`` (day, week, month)."""
    problem = stream.problem
    codes = tuple(sorted(d.code for d in problem.destinations))
    dests = {d.code: d for d in problem.destinations}
    end_of = {f.id: batch_end(stream.arrived_on[f.id], cadence) for f in problem.families}
    fams = sorted(problem.families, key=lambda f: (end_of[f.id], stream.arrived_on[f.id], f.id))
    ends = sorted(set(end_of.values()))
    end_index = {e: i for i, e in enumerate(ends)}
    origin = min(stream.arrived_on[f.id] for f in fams) if fams else dt.date(2000, 1, 1)
    n, m = len(fams), len(codes)
    score = np.full((n, m), np.nan, dtype=np.float64)
    col = {c: j for j, c in enumerate(codes)}
    for i, f in enumerate(fams):
        for code, value in problem.scores.get(f.id, {}).items():
            j = col.get(code)
            if j is not None:
                score[i, j] = value
    limits = np.asarray([dests[c].limit for c in codes], dtype=np.int64)
    sizes = np.asarray([f.size for f in fams], dtype=np.int64)
    allowed = ~np.isnan(score) & (sizes[:, None] <= limits[None, :])
    allowed &= np.asarray([f.consent for f in fams], dtype=bool)[:, None]
    for i, f in enumerate(fams):
        if f.excluded or f.services:
            for j, code in enumerate(codes):
                if code in f.excluded or not f.services <= dests[code].services:
                    allowed[i, j] = False
    score = np.where(allowed, score, 0.0)
    periods = sorted(stream.periods, key=lambda p: (p.code, p.start))
    row_dest = np.asarray([col[p.code] for p in periods], dtype=np.int64)
    row_cap = np.asarray([p.capacity for p in periods], dtype=np.int64)
    touches: list[tuple[IntArray, ...]] = []
    for end in ends:
        per_dest: list[IntArray] = []
        for code in codes:
            rows = [r for r, p in enumerate(periods) if p.code == code]
            inside = [r for r in rows if periods[r].start <= end <= periods[r].end]
            hit = inside
            if stream.carry_forward and inside:
                # cumulative rows: this period's and every later one of the destination
                hit = [r for r in rows if periods[r].start >= periods[inside[0]].start]
            per_dest.append(np.asarray(hit, dtype=np.int64))
        touches.append(tuple(per_dest))
    if stream.carry_forward and periods:
        # a cumulative row bounds everything decided up to its end: its sub-quotas add up
        row_cap = np.asarray([sum(q.capacity for q in periods if q.code == p.code
                                  and q.start <= p.start) for p in periods], dtype=np.int64)
    return StreamArrays(
        family_ids=tuple(f.id for f in fams), codes=codes,
        sizes=sizes,
        arrived=np.asarray([(stream.arrived_on[f.id] - origin).days for f in fams],
                           dtype=np.int64),
        batch=np.asarray([end_index[end_of[f.id]] for f in fams], dtype=np.int64),
        batch_ends=tuple(ends), allowed=allowed, score=score,
        capacity=limits, row_dest=row_dest, row_cap=row_cap,
        touches=tuple(touches), origin=origin)


class Room:
    """Persons each destination may still receive, under the annual capacity and sub-quotas."""

    def __init__(self, arrays: StreamArrays) -> None:
        """Start the year with every capacity and sub-quota unused."""
        self.arrays = arrays
        self.capacity_left = arrays.capacity.astype(np.int64).copy()
        self.row_left = arrays.row_cap.astype(np.int64).copy()

    def room(self, b: int) -> IntArray:
        """Per destination, the persons a decision at the end of batch ``b`` may place."""
        out = self.capacity_left.copy()
        for j, rows in enumerate(self.arrays.touches[b]):
            if len(rows):
                out[j] = min(int(out[j]), int(self.row_left[rows].min()))
        return np.maximum(out, 0)

    def place(self, b: int, d: int, persons: int) -> None:
        """Record ``persons`` placed at destination ``d`` at the end of batch ``b``."""
        self.capacity_left[d] -= persons
        rows = self.arrays.touches[b][d]
        if len(rows):
            self.row_left[rows] -= persons
        if self.capacity_left[d] < 0 or (len(rows) and (self.row_left[rows] < 0).any()):
            raise AssertionError(str(msg("arrivals_defect_capacity")))
