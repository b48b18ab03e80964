"""The one internal solution type: what a solver step (an LP, a MIP, column generation,
reduced-cost fixing) returns, before the engine decodes a plan.

Its objective is computed once, where the step solves, and carried; its duals are by named
row block (:class:`~fairshare.matching.model.RowDuals`), never by position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fairshare.i18n import Message
from fairshare.matching.model import FloatArray, IntArray, RowDuals, relative_gap
from fairshare.matching.result import MatchStatus


@dataclass(frozen=True)
class Solution:
    """A solver step's result.

    Attributes:
        status: how it ended (infeasible: no solution; the arrays are then empty).
        chosen: the model's columns (pair indices): every column of an LP, the pairs a MIP
            takes.
        x: the value of each column of ``chosen`` (1 for the pairs of a MIP plan).
        objective: the objective of ``x``.
        bound: a proven upper bound on the objective of every plan of the model.
        gap: the relative gap the step proves (0 for an LP at its optimum).
        duals: row duals by block (LP relaxations only).
        reduced_cost: per pair of the problem, the reduced cost at ``duals`` (column
            generation).
        notes: what happened, for people.
        floor_rhs: the outcome floor row's right-hand side, when the model has one.
        persons_min: the persons row's right-hand side, when the model has one.
        persons_bound: an upper bound on the persons any plan places (a staged LP's).
        rounds: column-generation rounds, or the MIP rounds of reduced-cost fixing (0 when
            the work limit stopped it before any).
    """

    status: MatchStatus
    chosen: IntArray
    x: FloatArray
    objective: float
    bound: float
    gap: float = 0.0
    duals: RowDuals | None = None
    reduced_cost: FloatArray | None = None
    notes: list[Message] = field(default_factory=list)
    floor_rhs: float | None = None
    persons_min: float | None = None
    persons_bound: float | None = None
    rounds: int = 0


def gap_status(bound: float, objective: float, tolerance: float) -> tuple[float, MatchStatus]:
    """The relative gap ``bound`` proves for a plan of value ``objective``, and its status:
    optimal within ``tolerance`` (the MIP gap), else feasible.

    >>> gap_status(100.0, 99.5, 1e-4), gap_status(100.0, 100.0, 1e-4)[1].value
    ((0.005, <MatchStatus.feasible: 'feasible'>), 'optimal')
    """
    gap = relative_gap(bound, objective)
    return gap, MatchStatus.optimal if gap <= tolerance else MatchStatus.feasible
