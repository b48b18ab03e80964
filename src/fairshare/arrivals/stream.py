"""An arrival stream as a typed value: families with arrival dates, annual capacity, sub-quotas.

A :class:`Stream` is the whole year's matching problem (a :class:`~fairshare.matching.Problem`
whose destination capacities hold for the whole horizon) plus each family's ``arrived_on`` date
and optional sub-quotas per period (:class:`Period`). It is checked (:func:`check_stream`) before
anything runs; the engines never change it, and everything they compute is sorted by id first,
so the same stream in any row order gives the same plan.

Capacity over time, in persons, per destination:

- the annual capacity (``min(capacity, max)`` of the destination) is never exceeded;
- a period ``(code, start, end, capacity)`` limits the persons placed at ``code`` by the
  decisions taken within ``[start, end]``; with ``carry_forward`` the unused part of the
  destination's earlier periods adds to it (the cumulative placements up to the end of a
  period stay within the sum of the sub-quotas up to it).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

from fairshare.errors import InputError, at
from fairshare.i18n import Num, msg
from fairshare.matching import Problem, check_problem

CADENCES = ("day", "week", "month")


@dataclass(frozen=True)
class Period:
    """A sub-quota: at most ``capacity`` persons to ``code`` by decisions in [start, end]."""

    code: str
    start: dt.date
    end: dt.date
    capacity: int


@dataclass(frozen=True)
class Stream:
    """Families arriving over time and what the destinations pledged for the horizon.

    Attributes:
        problem: the families, destinations (capacity for the whole horizon) and scores.
        arrived_on: family id -> arrival date (every family of ``problem``).
        periods: optional sub-quotas (see the module docstring).
        carry_forward: unused sub-quota of a period carries to the destination's next period.
        name: a label for reports.
    """

    problem: Problem
    arrived_on: Mapping[str, dt.date]
    periods: tuple[Period, ...] = ()
    carry_forward: bool = False
    name: str = "stream"
    meta: Mapping[str, str] = field(default_factory=dict)

    @property
    def first_day(self) -> dt.date:
        """The earliest arrival."""
        return min(self.arrived_on.values())

    @property
    def last_day(self) -> dt.date:
        """The latest arrival."""
        return max(self.arrived_on.values())


def batch_end(day: dt.date, cadence: str) -> dt.date:
    """The last day of the batch (day, ISO week ending Sunday, calendar month) holding ``day``.

    >>> batch_end(dt.date(2024, 1, 3), "week"), batch_end(dt.date(2024, 2, 10), "month")
    (datetime.date(2024, 1, 7), datetime.date(2024, 2, 29))
    """
    if cadence == "day":
        return day
    if cadence == "week":
        return day + dt.timedelta(days=6 - day.weekday())
    if cadence == "month":
        nxt = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)
    raise InputError(msg("arrivals_unknown_cadence", cadence=cadence, known=", ".join(CADENCES)))


def month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month end from the month of ``first`` to the month of ``last``.

    >>> month_ends(dt.date(2024, 1, 15), dt.date(2024, 3, 1))
    [datetime.date(2024, 1, 31), datetime.date(2024, 2, 29), datetime.date(2024, 3, 31)]
    """
    out = []
    day = batch_end(first, "month")
    while True:
        out.append(day)
        if day >= last:
            return out
        day = batch_end(day + dt.timedelta(days=1), "month")


def check_periods(periods: tuple[Period, ...], capacity: Mapping[str, int], *,
                  source: str = "periods", rows: Mapping[int, int] | None = None) -> None:
    """Sub-quotas must name a destination, start before they end, not overlap per destination,
    and add up to at most the destination's capacity.

    Args:
        periods: the sub-quotas.
        capacity: destination code -> annual capacity (persons).
        source: the file (or label) named in errors.
        rows: position in ``periods`` -> file row, for errors (default: position + 2).
    """
    def row(i: int) -> int:
        return rows[i] if rows is not None else i + 2

    by_code: dict[str, list[int]] = {}
    for i, p in enumerate(periods):
        if p.code not in capacity:
            raise InputError(msg("cell_not_destination", where=at(source, row(i), "code"),
                                 code=p.code, codes=", ".join(sorted(capacity))))
        if p.end < p.start:
            raise InputError(msg("period_end_before_start", where=at(source, row(i), "end"),
                                 end=str(p.end), start=str(p.start)))
        if p.capacity < 0:
            raise InputError(msg("cell_below", where=at(source, row(i), "capacity"),
                                 value=p.capacity, minimum=0))
        by_code.setdefault(p.code, []).append(i)
    for code, idx in sorted(by_code.items()):
        idx.sort(key=lambda i: (periods[i].start, i))
        for a, b in itertools.pairwise(idx):
            if periods[b].start <= periods[a].end:
                raise InputError(msg(
                    "period_overlap", where=at(source, row(b), "start"), start=str(periods[b].start),
                    end=str(periods[b].end), code=code, other=row(a),
                    other_start=str(periods[a].start), other_end=str(periods[a].end)))
        total = sum(periods[i].capacity for i in idx)
        if total > capacity[code]:
            raise InputError(msg("period_over_capacity", where=at(source, row(idx[-1]), "capacity"),
                                 code=code, total=Num(total), capacity=Num(capacity[code])))


def check_stream(stream: Stream) -> None:
    """Check a stream before simulating it (raises InputError or MatchingError naming the part).

    The problem must be a valid matching problem without minimum intakes or housing limits (a
    year's floors are what the ``balancing`` policy steers toward, and housing is per batch);
    every family has an arrival date; periods are valid (:func:`check_periods`).
    """
    check_problem(stream.problem)
    for d in stream.problem.destinations:
        if d.min_intake is not None or d.housing_units is not None:
            column = "min" if d.min_intake is not None else "housing"
            raise InputError(msg("arrivals_whole_horizon_code", code=d.code, column=column))
    missing = sorted(f.id for f in stream.problem.families if f.id not in stream.arrived_on)
    if missing:
        raise InputError(msg("arrivals_no_date", n=Num(len(missing)), families=", ".join(missing[:5])))
    check_periods(stream.periods, {d.code: d.limit for d in stream.problem.destinations})
