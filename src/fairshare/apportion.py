"""Integer apportionment: turn weights and a total into whole seats (or whole people).

Five classic methods are offered: ``hamilton`` (largest remainder) and the divisor methods
``jefferson`` (D'Hondt), ``webster`` (Sainte-Laguë), ``adams`` and ``huntington-hill``. Every
method accepts optional per-name minimums and maximums. Arithmetic is exact (``fractions``), so a
result never depends on floating-point noise; ties are broken deterministically (larger weight
first, then earlier in the input) and every tie that was actually broken is reported.

>>> apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8, "dhondt").seats
{'A': 4, 'B': 3, 'C': 1, 'D': 0}

See ``docs/apportionment.md`` for the formulas, the bounds algorithm and references.
"""

from __future__ import annotations

import heapq
import math
import numbers
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from fairshare.errors import ApportionmentError
from fairshare.i18n import N_, Message, Num, msg

METHODS: tuple[str, ...] = ("hamilton", "jefferson", "webster", "adams", "huntington-hill")

ALIASES: Mapping[str, str] = {
    "largest-remainder": "hamilton", "hare": "hamilton", "hare-niemeyer": "hamilton",
    "dhondt": "jefferson", "d'hondt": "jefferson", "d’hondt": "jefferson", "d-hondt": "jefferson",
    "sainte-lague": "webster", "sainte-laguë": "webster", "saint-lague": "webster",
    "hill": "huntington-hill", "equal-proportions": "huntington-hill",
    "smallest-divisors": "adams",
}

TIE_RULE = "larger weight first, then earlier in input order"

Weight = float | int | Fraction | Decimal

_INFINITE = (1, Fraction(0))  # the priority of a first seat under Adams and Huntington-Hill
_Priority = tuple[int, Fraction]


@dataclass(frozen=True)
class Tie:
    """A tie broken by the deterministic rule.

    Attributes:
        seat_numbers: the seats (1-based, in the order the method awards them) that the tie-break
            decided; they are always the last ones, ``total - len(winners) + 1 .. total``.
        candidates: every name tied for those seats, in tie-break order (winners first).
        winners: the names that received a seat.
        rule: the criterion that decided ("larger weight" or the full rule when input order
            was needed).
        value: the tied remainder (Hamilton) or quotient ``weight / rounding point`` (divisor
            methods; ``inf`` for a first seat under Adams or Huntington-Hill).
    """

    seat_numbers: tuple[int, ...]
    candidates: tuple[str, ...]
    winners: tuple[str, ...]
    rule: str
    value: float

    def describe(self) -> str:
        """One English sentence about this tie.

        >>> Tie((10,), ("B", "C"), ("B",), "larger weight", 0.5).describe()
        'Tie for seat 10 between B, C (tied value 0.5): B wins by larger weight.'
        """
        return self.message("").render("en").removeprefix(": ")

    def message(self, year: str) -> Message:
        """The tie as a translatable note of ``year``."""
        first, last = self.seat_numbers[0], self.seat_numbers[-1]
        seats = msg("note_tie_seat", first=first) if first == last else msg(
            "note_tie_seats", first=first, last=last)
        verb = msg("note_tie_wins") if len(self.winners) == 1 else msg("note_tie_win")
        rule = msg("note_tie_by_weight") if self.rule == "larger weight" else (
            msg("note_tie_by_order") if self.rule == TIE_RULE else self.rule)
        value = format(self.value, ".6g")
        return msg("note_tie", year=year, seats=seats, candidates=", ".join(self.candidates),
                   value=value, winners=", ".join(self.winners), verb=verb, rule=rule)


@dataclass(frozen=True)
class Apportionment:
    """The result of :func:`apportion`.

    Attributes:
        method: the canonical method name (one of :data:`METHODS`).
        total: the number of seats apportioned.
        seats: whole seats per name, in input order; they sum to ``total``.
        quotas: each name's exact (bounded) quota as a float: ``total * weight / sum of weights``
            without bounds; with bounds, ``clamp(weight * t, min, max)`` with ``t`` chosen so
            the quotas sum to ``total``.
        ties: every tie the deterministic rule actually broke (empty when none).
        divisor: for divisor methods, a divisor that yields ``seats`` (the tied quotient when
            there was a tie); ``None`` for Hamilton, or when no finite divisor decides (every
            seat forced by minimums, or only first seats under Adams/Huntington-Hill).
    """

    method: str
    total: int
    seats: dict[str, int]
    quotas: dict[str, float]
    ties: tuple[Tie, ...]
    divisor: float | None


@dataclass(frozen=True)
class _Entry:
    index: int
    name: str
    weight: Fraction
    low: int
    high: int | None  # None: no maximum


def normalize_method(method: str) -> str:
    """The canonical name of ``method`` (aliases accepted, case-insensitive).

    >>> normalize_method("D'Hondt")
    'jefferson'
    """
    key = method.strip().lower().replace("_", "-").replace(" ", "-")
    key = ALIASES.get(key, key)
    if key not in METHODS:
        aliases = ", ".join(f"{a} = {m}" for a, m in ALIASES.items() if a.isascii())
        raise ApportionmentError(msg("apportion_unknown_method", method=method,
                                     methods=", ".join(METHODS), aliases=aliases))
    return key


def apportion(weights: Mapping[str, Weight], total: int, method: str = "hamilton", *,
              minimum: Mapping[str, int] | None = None,
              maximum: Mapping[str, int] | None = None) -> Apportionment:
    """Apportion ``total`` whole seats among ``weights`` with ``method``.

    Args:
        weights: name -> finite weight >= 0 (population, share, votes...). Order is kept.
        total: the whole number of seats (people) to distribute, >= 0.
        method: one of :data:`METHODS` or an alias (see :data:`ALIASES`).
        minimum: optional name -> least number of seats.
        maximum: optional name -> most seats.

    Returns:
        The seats per name (summing to ``total``), quotas, ties broken and the divisor.

    Raises:
        ApportionmentError: unknown method, a negative/NaN/infinite weight, a negative total,
            all weights zero while seats remain to place, bounds naming unknown names,
            a minimum above a maximum, or bounds that cannot add up to ``total``.
    """
    canonical = normalize_method(method)
    total = _total(total)
    entries = _entries(weights, minimum or {}, maximum or {})
    _check_feasible(entries, total)
    quotas, scale = _bounded_quotas(entries, total)
    if canonical == "hamilton":
        seats, ties = _hamilton(entries, quotas, total)
        divisor = None
    else:
        seats, ties, divisor = _divisor_method(canonical, entries, total, scale)
    return Apportionment(
        method=canonical, total=total,
        seats={e.name: seats[e.index] for e in entries},
        quotas={e.name: float(quotas[e.index]) for e in entries},
        ties=ties, divisor=divisor)


# --- checks -----------------------------------------------------------------------------------

_BOUND_NOT_WHOLE = {"minimum": N_("apportion_min_not_whole"), "maximum": N_("apportion_max_not_whole")}
_BOUND_NEGATIVE = {"minimum": N_("apportion_min_negative"), "maximum": N_("apportion_max_negative")}
_BOUND_UNKNOWN = {"minimum": N_("apportion_min_unknown"), "maximum": N_("apportion_max_unknown")}

def _weight(name: str, value: Weight) -> Fraction:
    if isinstance(value, bool):
        raise ApportionmentError(msg("apportion_weight_not_number", name=name, value=repr(value)))
    try:  # NumPy scalars: integers as Python int (no overflow), floats by their exact value
        if isinstance(value, numbers.Integral):
            weight = Fraction(int(value))
        elif isinstance(value, Fraction | Decimal):
            weight = Fraction(value)
        else:
            weight = Fraction(float(value))
    except (ValueError, OverflowError, TypeError, ArithmeticError):
        raise ApportionmentError(msg("apportion_weight_not_finite", name=name,
                                     value=repr(value))) from None
    if weight < 0:
        raise ApportionmentError(msg("apportion_weight_negative", name=name, value=str(value)))
    return weight


def _bound(kind: str, name: str, value: int) -> int:
    try:
        if isinstance(value, bool):
            raise TypeError
        number = operator.index(value)
    except TypeError:
        raise ApportionmentError(msg(_BOUND_NOT_WHOLE[kind], name=name, value=repr(value))) from None
    if number < 0:
        raise ApportionmentError(msg(_BOUND_NEGATIVE[kind], name=name, value=number))
    return int(number)


def _total(total: int) -> int:
    if isinstance(total, bool) or not isinstance(total, numbers.Integral):
        raise ApportionmentError(msg("apportion_total_not_whole", value=repr(total)))
    if total < 0:
        raise ApportionmentError(msg("apportion_total_negative", value=total))
    return int(total)


def _entries(weights: Mapping[str, Weight], minimum: Mapping[str, int],
             maximum: Mapping[str, int]) -> list[_Entry]:
    for kind, bounds in (("minimum", minimum), ("maximum", maximum)):
        unknown = [str(n) for n in bounds if n not in weights]
        if unknown:
            raise ApportionmentError(msg(_BOUND_UNKNOWN[kind], names=", ".join(map(repr, unknown))))
    entries = []
    for index, (name, value) in enumerate(weights.items()):
        low = _bound("minimum", name, minimum[name]) if name in minimum else 0
        high = _bound("maximum", name, maximum[name]) if name in maximum else None
        if high is not None and low > high:
            raise ApportionmentError(msg("apportion_min_above_max", name=name, low=low, high=high))
        entries.append(_Entry(index, name, _weight(name, value), low, high))
    return entries


def _check_feasible(entries: Sequence[_Entry], total: int) -> None:
    lows = sum(e.low for e in entries)
    if lows > total:
        raise ApportionmentError(msg("apportion_minimums_over", lows=Num(lows), total=Num(total)))
    positive = [e for e in entries if e.weight > 0]
    if not entries and total > 0:
        raise ApportionmentError(msg("apportion_no_weights", total=Num(total)))
    if not positive and total > lows:
        raise ApportionmentError(msg("apportion_all_zero", total=Num(total)))
    if any(e.high is None for e in positive):
        return
    capacity = sum(e.high or 0 for e in positive) + sum(e.low for e in entries if e.weight == 0)
    if capacity < total:
        raise ApportionmentError(msg(
            N_("apportion_maximums_under") if len(positive) == len(entries)
            else N_("apportion_maximums_under_zero"), capacity=Num(capacity), total=Num(total)))


# --- bounded quotas ---------------------------------------------------------------------------

def _bounded_quotas(entries: Sequence[_Entry], total: int) -> tuple[list[Fraction], Fraction | None]:
    """Exact quotas ``clamp(t * weight, min, max)`` summing to ``total``, and the scale ``t``.

    Names whose proportional quota breaks a bound are fixed at that bound and the rest is
    redistributed among the others, repeatedly. Each round fixes the side with the larger
    violation (excess above maximums versus shortfall below minimums), which is provably final:
    fixing it moves the remaining quotas only further past those bounds.
    """
    quotas = [Fraction(0)] * len(entries)
    remaining = Fraction(total)
    free: list[_Entry] = []
    for e in entries:
        if e.weight > 0:
            free.append(e)
        else:
            quotas[e.index] = Fraction(e.low)
            remaining -= e.low
    scale: Fraction | None = None
    while free:
        scale = remaining / sum(e.weight for e in free)
        over = [e for e in free if e.high is not None and scale * e.weight > e.high]
        under = [e for e in free if scale * e.weight < e.low]
        if not over and not under:
            break
        excess = sum((scale * e.weight - (e.high or 0) for e in over), Fraction(0))
        shortfall = sum((e.low - scale * e.weight for e in under), Fraction(0))
        fixed = {e.index: (e.high or 0) for e in over} if excess >= shortfall else {
            e.index: e.low for e in under}
        for index, bound in fixed.items():
            quotas[index] = Fraction(bound)
            remaining -= bound
        free = [e for e in free if e.index not in fixed]
    else:
        if remaining != 0:  # pragma: no cover - excluded by _check_feasible
            raise ApportionmentError(msg("apportion_unplaced", remaining=remaining))
        return quotas, scale
    for e in free:
        quotas[e.index] = scale * e.weight
    return quotas, scale


# --- tie-breaking -----------------------------------------------------------------------------

def _tie_order(entry: _Entry) -> tuple[Fraction, int]:
    return (-entry.weight, entry.index)


def _make_tie(total: int, candidates: Sequence[_Entry], winners: int, value: float) -> Tie:
    ordered = sorted(candidates, key=_tie_order)
    won, lost = ordered[:winners], ordered[winners:]
    by_weight = min(e.weight for e in won) > max(e.weight for e in lost)
    return Tie(seat_numbers=tuple(range(total - winners + 1, total + 1)),
               candidates=tuple(e.name for e in ordered),
               winners=tuple(e.name for e in won),
               rule="larger weight" if by_weight else TIE_RULE,
               value=value)


# --- Hamilton ---------------------------------------------------------------------------------

def _hamilton(entries: Sequence[_Entry], quotas: Sequence[Fraction],
              total: int) -> tuple[list[int], tuple[Tie, ...]]:
    seats = [math.floor(q) for q in quotas]
    remainders = [q - s for q, s in zip(quotas, seats, strict=True)]
    left = total - sum(seats)
    if left == 0:
        return seats, ()
    ranked = sorted((e for e in entries if remainders[e.index] > 0),
                    key=lambda e: (-remainders[e.index], *_tie_order(e)))
    for e in ranked[:left]:
        seats[e.index] += 1
    cutoff = remainders[ranked[left - 1].index]
    group = [e for e in ranked if remainders[e.index] == cutoff]
    won = sum(1 for e in ranked[:left] if remainders[e.index] == cutoff)
    if won == len(group):
        return seats, ()
    return seats, (_make_tie(total, group, won, float(cutoff)),)


# --- divisor methods --------------------------------------------------------------------------

def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _count_below(method: str, x: Fraction) -> int:
    """How many rounding points ``r(0), r(1), ...`` lie strictly below ``x`` (>= 0)."""
    if x <= 0:
        return 0
    if method == "jefferson":  # r(a) = a + 1
        return _ceil(x) - 1
    if method == "adams":  # r(a) = a
        return _ceil(x)
    if method == "webster":  # r(a) = a + 1/2
        return max(0, _ceil(x - Fraction(1, 2)))
    y = x * x  # huntington-hill: r(a) = sqrt(a (a + 1)); count a with a (a + 1) < x^2
    a = (math.isqrt(4 * math.floor(y) + 1) - 1) // 2
    while a > 0 and a * (a + 1) >= y:
        a -= 1
    while (a + 1) * (a + 2) < y:
        a += 1
    return a + 1


def _priority(method: str, weight: Fraction, a: int) -> _Priority:
    """Order key of the seat that takes a name from ``a`` to ``a + 1`` seats (higher first).

    It is ``weight / r(a)``; for Huntington-Hill its square (same order, stays rational).
    """
    if method == "jefferson":
        return (0, weight / (a + 1))
    if method == "webster":
        return (0, 2 * weight / (2 * a + 1))
    if a == 0:
        return _INFINITE
    if method == "adams":
        return (0, weight / a)
    return (0, weight * weight / (a * (a + 1)))


def _as_float(method: str, priority: _Priority) -> float:
    if priority[0]:
        return math.inf
    value = float(priority[1])
    return math.sqrt(value) if method == "huntington-hill" else value


def _divisor_method(method: str, entries: Sequence[_Entry], total: int,
                    scale: Fraction | None) -> tuple[list[int], tuple[Tie, ...], float | None]:
    """Bounded divisor method: ``seats = clamp(round(weight / d), min, max)`` summing to total.

    Start from the bounded-quota scale (close to ``1 / d``), then add or remove single seats by
    priority with a heap; the start is off by at most one seat per name.
    """
    competing = [e for e in entries if e.weight > 0]
    seats = [e.low for e in entries]
    if scale is not None:
        for e in competing:
            count = max(e.low, _count_below(method, scale * e.weight))
            seats[e.index] = count if e.high is None else min(count, e.high)
    _adjust(method, competing, seats, total - sum(seats))
    return _settle_ties(method, competing, seats, total)


def _adjust(method: str, competing: Sequence[_Entry], seats: list[int], missing: int) -> None:
    """Add (``missing > 0``) or remove seats one at a time, strongest claim first/weakest first."""
    step = 1 if missing > 0 else -1

    def claim(e: _Entry) -> tuple[int, Fraction, int] | None:
        """Heap key of the seat to add (max-heap, negated) or to remove (min-heap)."""
        held = seats[e.index]
        if step > 0:
            if e.high is not None and held >= e.high:
                return None
            flag, value = _priority(method, e.weight, held)
            return (-flag, -value, e.index)
        if held <= e.low:
            return None
        flag, value = _priority(method, e.weight, held - 1)
        return (flag, value, e.index)

    by_index = {e.index: e for e in competing}
    heap = [key for e in competing if (key := claim(e)) is not None]
    heapq.heapify(heap)
    for _ in range(abs(missing)):
        index = heapq.heappop(heap)[2]
        seats[index] += step
        key = claim(by_index[index])
        if key is not None:
            heapq.heappush(heap, key)


def _settle_ties(method: str, competing: Sequence[_Entry], seats: list[int],
                 total: int) -> tuple[list[int], tuple[Tie, ...], float | None]:
    """Reassign the seats tied at the threshold by the tie rule; find the divisor."""
    last_won = {e.index: _priority(method, e.weight, seats[e.index] - 1)
                for e in competing if seats[e.index] > e.low}
    next_up = {e.index: _priority(method, e.weight, seats[e.index])
               for e in competing if e.high is None or seats[e.index] < e.high}
    lowest = min(last_won.values(), default=None)
    highest = max(next_up.values(), default=None)
    ties: tuple[Tie, ...] = ()
    if lowest is not None and lowest == highest:
        holders = [e for e in competing if last_won.get(e.index) == lowest]
        waiting = [e for e in competing if next_up.get(e.index) == highest]
        for e in holders:
            seats[e.index] -= 1
        ordered = sorted([*holders, *waiting], key=_tie_order)
        for e in ordered[:len(holders)]:
            seats[e.index] += 1
        ties = (_make_tie(total, ordered, len(holders), _as_float(method, lowest)),)
    if lowest is None or lowest[0]:
        return seats, ties, None
    low_value = _as_float(method, lowest)
    if highest is None or highest == lowest:
        return seats, ties, low_value
    return seats, ties, (low_value + _as_float(method, highest)) / 2
