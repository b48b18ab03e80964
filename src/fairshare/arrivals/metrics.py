"""What a simulated year is judged by: balance over time, envy, fill and outcome curves.

- **Balance over time.** Each destination's annual target is its target share (targets, else
  its share of the pledged capacity) of the persons the plan places over the year; its target
  path at a month end is that share of the persons placed by then. The gap is the distance
  between its cumulative placements and its path, as a share of its annual target; the
  *calendar* gap measures the same against the straight line of the year (target x days
  elapsed / days in the horizon), which seasonal arrivals make unreachable, so it is shown,
  not steered to.
- **Envy between destinations** (Andersson, Ehlers and Martinello): a destination "receives an
  unacceptable family" when it gets a family whose score there is below the acceptability
  threshold; destination i envies j by the number of unacceptable families i received beyond
  those j received. Reported: the largest envy over all pairs, in families.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairshare.arrivals.options import OnlineOptions
from fairshare.arrivals.policies import target_shares
from fairshare.arrivals.state import IntArray, StreamArrays
from fairshare.arrivals.stream import month_ends


@dataclass(frozen=True)
class Metrics:
    """Curves at each month end and the summary figures of a plan.

    Attributes:
        month_ends: the dates the curves are read at.
        fill: destination -> persons placed by each month end (cumulative).
        target: destination -> annual target (persons).
        gap: destination -> gap to its target path at each month end (share of its target).
        calendar_gap: the same against the straight line of the year.
        outcome: cumulative outcome at each month end.
        hindsight_outcome: cumulative outcome of the hindsight plan (empty if not computed).
        max_balance_gap: the largest ``gap``.
        max_calendar_gap: the largest ``calendar_gap``.
        unacceptable: destination -> unacceptable families received.
        envy: the largest envy between two destinations (families).
    """

    month_ends: tuple[dt.date, ...]
    fill: dict[str, list[int]]
    target: dict[str, float]
    gap: dict[str, list[float]]
    calendar_gap: dict[str, list[float]]
    outcome: list[float]
    hindsight_outcome: list[float]
    max_balance_gap: float
    max_calendar_gap: float
    unacceptable: dict[str, int]
    envy: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {"month_ends": [d.isoformat() for d in self.month_ends], "fill": self.fill,
                "target": self.target, "gap": self.gap, "calendar_gap": self.calendar_gap,
                "outcome": self.outcome, "hindsight_outcome": self.hindsight_outcome,
                "max_balance_gap": self.max_balance_gap,
                "max_calendar_gap": self.max_calendar_gap,
                "unacceptable": self.unacceptable, "envy": self.envy}


def envy(unacceptable: IntArray) -> int:
    """Largest number of unacceptable families one destination received beyond another.

    >>> envy(np.array([3, 2, 3]))
    1
    """
    if len(unacceptable) == 0:
        return 0
    return int(unacceptable.max() - unacceptable.min())


def month_index(arrays: StreamArrays) -> tuple[IntArray, int]:
    """Per family, the month end its decision is first counted at; and the number of month
    ends (the metric's: every month end from the first arrival to the last decision)."""
    if not arrays.n_batches:
        return np.zeros(len(arrays.family_ids), dtype=np.int64), 0
    ends = month_ends(arrays.origin, arrays.batch_ends[-1])
    decided = np.asarray([(arrays.batch_ends[b] - arrays.origin).days for b in
                          range(arrays.n_batches)], dtype=np.int64)[arrays.batch]
    cut = np.asarray([(e - arrays.origin).days for e in ends], dtype=np.int64)
    return np.searchsorted(cut, decided, side="left").astype(np.int64), len(ends)


def _cumulative(arrays: StreamArrays, choice: IntArray, ends: list[dt.date],
                weights: np.ndarray) -> np.ndarray:
    """(month ends x destinations) cumulative sums of ``weights`` by decision date."""
    m = len(arrays.codes)
    placed = choice >= 0
    month = month_index(arrays)[0][placed]
    grid = np.zeros((len(ends) + 1, m))
    np.add.at(grid, (month, choice[placed]), weights[placed])
    return np.cumsum(grid, axis=0)[: len(ends)]


def measure(arrays: StreamArrays, choice: IntArray, options: OnlineOptions, *,
            hindsight: IntArray | None = None) -> Metrics:
    """The metrics of a plan (see the module docstring)."""
    codes = arrays.codes
    if not arrays.n_batches:
        return Metrics((), {}, {}, {}, {}, [], [], 0.0, 0.0, {}, 0)
    ends = month_ends(arrays.origin, arrays.batch_ends[-1])
    sizes = arrays.sizes.astype(np.float64)
    fill = _cumulative(arrays, choice, ends, sizes)
    shares = target_shares(arrays, options)
    total = fill[-1].sum()
    target = shares * total
    path = shares[None, :] * fill.sum(axis=1)[:, None]
    safe = np.where(target > 0, target, 1.0)
    gap = np.where(target[None, :] > 0, np.abs(fill - path) / safe[None, :], 0.0)
    horizon = max(1, (ends[-1] - arrays.origin).days + 1)
    elapsed = np.asarray([min(horizon, (e - arrays.origin).days + 1) for e in ends]) / horizon
    calendar = np.where(target[None, :] > 0,
                        np.abs(fill - target[None, :] * elapsed[:, None]) / safe[None, :], 0.0)
    idx = np.arange(len(choice))
    gain = np.zeros(len(choice))
    ok = choice >= 0
    gain[ok] = sizes[ok] * arrays.score[idx[ok], choice[ok]]
    outcome = _cumulative(arrays, choice, ends, gain).sum(axis=1)
    h_curve: list[float] = []
    if hindsight is not None:
        h_gain = np.zeros(len(choice))
        hk = hindsight >= 0
        h_gain[hk] = sizes[hk] * arrays.score[idx[hk], hindsight[hk]]
        h_curve = [round(float(v), 6) for v in
                   _cumulative(arrays, hindsight, ends, h_gain).sum(axis=1)]
    bad = ok.copy()
    bad[ok] = arrays.score[idx[ok], choice[ok]] < options.acceptable
    unacceptable = np.bincount(choice[bad], minlength=len(codes)).astype(np.int64)
    return Metrics(
        month_ends=tuple(ends),
        fill={c: [round(v) for v in fill[:, j]] for j, c in enumerate(codes)},
        target={c: round(float(target[j]), 3) for j, c in enumerate(codes)},
        gap={c: [round(float(v), 6) for v in gap[:, j]] for j, c in enumerate(codes)},
        calendar_gap={c: [round(float(v), 6) for v in calendar[:, j]]
                      for j, c in enumerate(codes)},
        outcome=[round(float(v), 6) for v in outcome], hindsight_outcome=h_curve,
        max_balance_gap=float(gap.max()) if gap.size else 0.0,
        max_calendar_gap=float(calendar.max()) if calendar.size else 0.0,
        unacceptable={c: int(unacceptable[j]) for j, c in enumerate(codes)},
        envy=envy(unacceptable))
