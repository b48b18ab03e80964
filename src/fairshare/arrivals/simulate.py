"""Simulate a year: decide batch after batch with an online policy, then measure the plan.

>>> import datetime as dt
>>> from fairshare.matching import Destination, Family, Problem
>>> p = Problem(families=(Family("a", 2, True), Family("b", 1, True)),
...             destinations=(Destination("NB", 2), Destination("ON", 5)),
...             scores={"a": {"NB": 0.9, "ON": 0.5}, "b": {"NB": 0.8, "ON": 0.2}})
>>> s = Stream(problem=p, arrived_on={"a": dt.date(2024, 1, 2), "b": dt.date(2024, 1, 9)})
>>> r = simulate(s, "greedy")
>>> r.assignment, r.decided_on["b"].isoformat(), round(r.hindsight_fraction or 0, 4)
({'a': 'NB', 'b': 'ON'}, '2024-01-14', 1.0)
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fairshare.arrivals.hindsight import (
    BalancedHindsight,
    Hindsight,
    balanced_hindsight,
    solve_hindsight,
)
from fairshare.arrivals.metrics import Metrics, measure
from fairshare.arrivals.options import POLICIES, OnlineOptions, make_options
from fairshare.arrivals.policies import make_decider
from fairshare.arrivals.state import IntArray, Room, StreamArrays, stream_arrays
from fairshare.arrivals.stream import CADENCES, Stream, check_stream
from fairshare.errors import InputError
from fairshare.i18n import Message, Num, msg

if TYPE_CHECKING:
    pass

Progress = Callable[[int, int], None]
"""Called after each batch with (batches done, batches in all)."""


@dataclass
class SimulationResult:
    """What a simulated year gives.

    Attributes:
        policy: the online policy (or ``hindsight``).
        cadence: batch length (day, week, month).
        seed: seed of the sampled futures and of rotation's initial orders.
        assignment: family id -> destination code, or None when unplaced (every family).
        decided_on: family id -> the decision date (end of the batch holding its arrival).
        persons_placed: persons placed over the year.
        outcome: sum over placed families of size x score.
        hindsight_outcome: the same for the hindsight plan (None when not computed).
        hindsight_fraction: outcome / hindsight_outcome.
        hindsight_persons: persons placed by the hindsight plan.
        hindsight_bound: proven upper bound on the hindsight outcome, when known.
        metrics: balance over time, envy, fill curves, outcome curves (see metrics.Metrics).
        placements: destination -> persons placed.
        batches: number of batches decided.
        batch_seconds: seconds per batch decision.
        seconds: seconds for the whole simulation (hindsight included).
        hindsight_seconds: seconds of the hindsight solve.
        options: the options used.
        notes: what was done (hindsight method, ...), as messages the shells translate.
    """

    policy: str
    cadence: str
    seed: int
    assignment: dict[str, str | None]
    decided_on: dict[str, dt.date]
    persons_placed: int
    outcome: float
    hindsight_outcome: float | None
    hindsight_fraction: float | None
    hindsight_persons: int | None
    hindsight_bound: float | None
    metrics: Metrics
    placements: dict[str, int]
    batches: int
    batch_seconds: list[float]
    seconds: float
    hindsight_seconds: float
    options: dict[str, Any]
    notes: list[Message] = field(default_factory=list)

    @property
    def max_balance_gap(self) -> float:
        """Largest gap to a target path at a month end, as a share of the annual target."""
        return self.metrics.max_balance_gap

    def summary(self) -> dict[str, Any]:
        """The contract's JSON: policy, persons, outcome, hindsight, balance, batches, seconds."""
        return {
            "policy": self.policy, "persons_placed": self.persons_placed,
            "outcome": round(self.outcome, 6),
            "hindsight_outcome": None if self.hindsight_outcome is None
            else round(self.hindsight_outcome, 6),
            "hindsight_fraction": None if self.hindsight_fraction is None
            else round(self.hindsight_fraction, 6),
            "max_balance_gap": round(self.max_balance_gap, 6), "batches": self.batches,
            "seconds": round(self.seconds, 3),
        }

    def details(self) -> dict[str, Any]:
        """Everything but the per-family plan, JSON-friendly (for reports and sweeps)."""
        return {**self.summary(), "cadence": self.cadence, "seed": self.seed,
                "hindsight_persons": self.hindsight_persons,
                "hindsight_bound": self.hindsight_bound, "placements": self.placements,
                "max_batch_seconds": max(self.batch_seconds, default=0.0),
                "mean_batch_seconds": float(np.mean(self.batch_seconds))
                if self.batch_seconds else 0.0,
                "hindsight_seconds": round(self.hindsight_seconds, 3),
                "metrics": self.metrics.as_dict(), "options": self.options,
                "notes": [str(n) for n in self.notes]}


def simulate(stream: Stream, policy: str, *, cadence: str = "week", seed: int = 0,
             options: OnlineOptions | Mapping[str, Any] | None = None, hindsight: bool = True,
             progress: Progress | None = None) -> SimulationResult:
    """Simulate a year of arrivals decided batch by batch by an online policy.

    Args:
        stream: families with arrival dates, destinations with capacity for the horizon,
            scores, optional sub-quotas (checked first; bad input raises InputError).
        policy: ``myopic``, ``greedy``, ``dual-prices``, ``balancing``, ``rotation`` or
            ``hindsight`` (the whole stream solved at once).
        cadence: batch length: ``day``, ``week`` (ISO weeks, decided on Sundays) or ``month``.
        seed: seed of the sampled futures (dual-prices, balancing) and of rotation's orders.
        options: :class:`OnlineOptions` or a mapping of overrides of the defaults
            (``policies.yaml``), e.g. ``{"samples": 5, "every": 2, "targets": {...}}``.
        hindsight: also solve the whole stream at once, for ``hindsight_fraction``.
        progress: called after each batch with (done, total).

    Returns:
        The plan (every family, with its decision date), persons placed, outcome, its fraction
        of the hindsight outcome, balance over time, envy, fill curves and timings.
    """
    started = time.perf_counter()
    if policy not in POLICIES:
        raise InputError(msg("arrivals_unknown_policy", policy=policy, known=", ".join(POLICIES)))
    if cadence not in CADENCES:
        raise InputError(msg("arrivals_unknown_cadence", cadence=cadence, known=", ".join(CADENCES)))
    opts = options if isinstance(options, OnlineOptions) else make_options(options)
    check_stream(stream)
    arrays = stream_arrays(stream, cadence)
    notes: list[Message] = []
    hind: Hindsight | None = None
    t_h = 0.0
    if hindsight or policy == "hindsight":
        t = time.perf_counter()
        hind = solve_hindsight(stream, arrays, opts)
        t_h = time.perf_counter() - t
        notes.append(msg("arrivals_note_hindsight", method=hind.method, seconds=Num(t_h, 2)))
    batch_seconds: list[float] = []
    if policy == "hindsight":
        assert hind is not None  # nosec B101 # type narrowing / internal invariant
        choice = hind.choice
        if progress is not None:
            progress(arrays.n_batches, arrays.n_batches)
    else:
        choice, batch_seconds = _run_online(stream, arrays, policy, opts, seed, progress)
    persons, outcome = arrays.value(choice)
    metrics = measure(arrays, choice, opts, hindsight=None if hind is None else hind.choice)
    assignment = {fid: (arrays.codes[d] if d >= 0 else None)
                  for fid, d in sorted(zip(arrays.family_ids, choice.tolist(), strict=True))}
    decided = {fid: arrays.batch_ends[int(b)]
               for fid, b in sorted(zip(arrays.family_ids, arrays.batch.tolist(), strict=True))}
    placements = {c: int(arrays.sizes[choice == j].sum()) for j, c in enumerate(arrays.codes)}
    h_out = None if hind is None else hind.outcome
    return SimulationResult(
        policy=policy, cadence=cadence, seed=seed, assignment=assignment, decided_on=decided,
        persons_placed=persons, outcome=outcome, hindsight_outcome=h_out,
        hindsight_fraction=None if not h_out else outcome / h_out,
        hindsight_persons=None if hind is None else hind.persons,
        hindsight_bound=None if hind is None else hind.bound, metrics=metrics,
        placements=placements, batches=arrays.n_batches, batch_seconds=batch_seconds,
        seconds=time.perf_counter() - started, hindsight_seconds=t_h, options=opts.as_dict(),
        notes=notes)


def _run_online(stream: Stream, arrays: StreamArrays, policy: str, opts: OnlineOptions,
                seed: int, progress: Progress | None) -> tuple[IntArray, list[float]]:
    """Decide each batch in time order under the room left; check every decision."""
    decide = make_decider(policy, stream, arrays, opts, seed)
    room = Room(arrays)
    choice = np.full(len(arrays.family_ids), -1, dtype=np.int64)
    placed = np.zeros(len(arrays.codes), dtype=np.int64)
    seconds: list[float] = []
    for b in range(arrays.n_batches):
        t = time.perf_counter()
        sl = arrays.batch_slice(b)
        plan = decide(b, room.room(b), placed.copy())
        for i, d in enumerate(plan.tolist()):
            if d < 0:
                continue
            f = sl.start + i
            if not arrays.allowed[f, d]:
                raise AssertionError(str(msg("arrivals_defect_not_allowed", policy=policy)))
            room.place(b, d, int(arrays.sizes[f]))
            placed[d] += int(arrays.sizes[f])
            choice[f] = d
        seconds.append(time.perf_counter() - t)
        if progress is not None:
            progress(b + 1, arrays.n_batches)
    return choice, seconds


def hindsight_with_balance(stream: Stream, *, cadence: str = "week",
                           options: OnlineOptions | Mapping[str, Any] | None = None,
                           band: float = 0.05, at: str = "month") -> BalancedHindsight:
    """The price of balance: the hindsight optimum when every destination must stay within
    ``band`` of its target path at every month end (``at="month"``) or at the last one
    (``at="end"``), as :attr:`Metrics.max_balance_gap` measures it.

    Its ``bound`` is an upper bound on the outcome of any plan meeting that balance (and
    placing as many persons), online or not: when it lies below an outcome target, no
    balancing policy can reach the target under that definition of balance.
    """
    if cadence not in CADENCES:
        raise InputError(msg("arrivals_unknown_cadence", cadence=cadence, known=", ".join(CADENCES)))
    if not 0 <= band < 1:
        raise InputError(msg("option_band", value=band))
    if at not in ("month", "end"):
        raise InputError(msg("arrivals_at", value=repr(at)))
    opts = options if isinstance(options, OnlineOptions) else make_options(options)
    check_stream(stream)
    return balanced_hindsight(stream_arrays(stream, cadence), opts, band=band, at=at)
