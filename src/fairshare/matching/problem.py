"""The matching problem as a typed value: families, destinations, scores.

A :class:`Problem` is checked (:mod:`fairshare.matching.checks`) before it is solved. It is a
pure value: the solvers never change it, and the same problem in any row order gives the same
plan, because everything that reaches a solver is sorted by id first.

Scores are *per member*: ``scores[family_id][destination]`` is the predicted outcome of one
member of the family at the destination, in [0, 1] (the mean over members when the scores were
given per member). The family's outcome is ``size * score``, the sum over its members, never
"at least one member employed".
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from fairshare.errors import MatchingError
from fairshare.i18n import Num, msg


@dataclass(frozen=True)
class Member:
    """One person of a family: only what the outcome model and the constraints need."""

    id: str
    family_id: str
    birth_year: int | None = None
    sex: str | None = None
    languages: tuple[tuple[str, str], ...] = ()
    education: str | None = None
    work_experience_years: float | None = None


@dataclass(frozen=True)
class Family:
    """A family that may be relocated as a whole (families are never split)."""

    id: str
    size: int
    consent: bool
    current: str | None = None
    services: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()
    preferences: tuple[str, ...] = ()
    ties: frozenset[str] = frozenset()
    members: tuple[Member, ...] = ()

    def preference_rank(self, destination: str) -> int | None:
        """1-based rank of ``destination`` in the family's preferences, or None if unranked.

        >>> Family("f", 2, True, preferences=("ON", "QC")).preference_rank("QC")
        2
        """
        try:
            return self.preferences.index(destination) + 1
        except ValueError:
            return None


_BAND = re.compile(r"^\s*(\d+)\s*(?:(-)\s*(\d+)|(\+))?\s*$")


@functools.lru_cache(maxsize=1024)  # called per family and destination: parse each band once
def band_bounds(band: str) -> tuple[int, int]:
    """Family sizes covered by a housing band: ``"1"``, ``"3-4"`` or ``"5+"``.

    >>> band_bounds("3-4"), band_bounds("5+"), band_bounds("2")
    ((3, 4), (5, 1000000), (2, 2))
    """
    m = _BAND.match(band)
    if not m:
        raise MatchingError(msg("match_band_form", band=band))
    low = int(m.group(1))
    if m.group(4):
        return low, 1_000_000
    if m.group(2):
        high = int(m.group(3))
        if high < low:
            raise MatchingError(msg("match_band_reversed", band=band))
        return low, high
    return low, low


@dataclass(frozen=True)
class Destination:
    """A destination jurisdiction and what it offers for this batch.

    Attributes:
        code: jurisdiction code (e.g. ``"NB"``).
        capacity: places offered, in persons.
        services: services offered (e.g. ``"french"``, ``"health-specialised"``).
        min_intake: persons it must receive at least (from a fair-share target), or None.
        max_intake: persons it may receive at most, or None (capacity applies anyway).
        housing_units: units offered by family-size band (``{"1-2": 40, "3-4": 25, "5+": 6}``);
            one family takes one unit of its band. None means no housing limit.
        shortfall: persons it is below its fair-share target (0 or less when at or above), or
            None (used by the fair-share term of the ``balanced`` policy).
    """

    code: str
    capacity: int
    services: frozenset[str] = frozenset()
    min_intake: int | None = None
    max_intake: int | None = None
    housing_units: Mapping[str, int] | None = None
    shortfall: float | None = None

    @property
    def limit(self) -> int:
        """Persons it may receive: capacity, further limited by ``max_intake``."""
        if self.max_intake is None:
            return self.capacity
        return min(self.capacity, self.max_intake)


class ScoreRow(Mapping[str, float]):
    """One family's scores in a :class:`ScoreTable`: destination code -> score (read-only)."""

    __slots__ = ("_row", "_table")

    def __init__(self, table: ScoreTable, row: int) -> None:
        self._table, self._row = table, row

    def __getitem__(self, code: str) -> float:
        j = self._table.code_index.get(code)
        if j is None:
            raise KeyError(code)
        value = float(self._table.array[self._row, j])
        if math.isnan(value):  # no score
            raise KeyError(code)
        return value

    def __iter__(self) -> Iterator[str]:
        row = self._table.array[self._row]
        return iter([c for c, v in zip(self._table.codes, row.tolist(), strict=True)
                     if not math.isnan(v)])

    def __len__(self) -> int:
        return int(np.count_nonzero(~np.isnan(self._table.array[self._row])))


class ScoreTable(Mapping[str, Mapping[str, float]]):
    """Per-member scores held as one family x destination array (NaN: no score there).

    A columnar form of ``scores[family_id][destination]``: the same mapping interface for the
    code that reads one family at a time, and the whole array for the engine (no per-family
    dictionaries: 400 destinations x 100,000 families take 320 MB instead of gigabytes).

    >>> t = ScoreTable(("f1", "f2"), ("NB", "ON"), np.array([[0.5, np.nan], [0.25, 1.0]]))
    >>> dict(t["f1"]), t["f2"]["ON"], "f3" in t, len(t)
    ({'NB': 0.5}, 1.0, False, 2)
    """

    def __init__(self, family_ids: tuple[str, ...], codes: tuple[str, ...],
                 values: npt.NDArray[np.float64]) -> None:
        if values.shape != (len(family_ids), len(codes)):
            raise MatchingError(msg("match_score_table_shape", shape=str(values.shape),
                                    families=Num(len(family_ids)), destinations=Num(len(codes))))
        self.family_ids = family_ids
        self.codes = codes
        self.array = values
        self.row_index = {fid: i for i, fid in enumerate(family_ids)}
        self.code_index = {c: j for j, c in enumerate(codes)}

    @classmethod
    def from_mapping(cls, scores: Mapping[str, Mapping[str, float]]) -> ScoreTable:
        """The columnar form of a ``{family_id: {destination: score}}`` mapping."""
        if isinstance(scores, ScoreTable):
            return scores
        fids = tuple(sorted(scores))
        codes = tuple(sorted({c for row in scores.values() for c in row}))
        col = {c: j for j, c in enumerate(codes)}
        values = np.full((len(fids), len(codes)), np.nan)
        for i, fid in enumerate(fids):
            for code, value in scores[fid].items():
                values[i, col[code]] = value
        return cls(fids, codes, values)

    def __getitem__(self, family_id: str) -> ScoreRow:
        i = self.row_index.get(family_id)
        if i is None:
            raise KeyError(family_id)
        return ScoreRow(self, i)

    def __contains__(self, family_id: object) -> bool:
        return family_id in self.row_index

    def __iter__(self) -> Iterator[str]:
        return iter(self.family_ids)

    def __len__(self) -> int:
        return len(self.family_ids)

    def matrix(self, family_ids: tuple[str, ...], codes: tuple[str, ...]
               ) -> npt.NDArray[np.float64]:
        """Scores of ``family_ids`` x ``codes`` (NaN where none is given), without copying
        when the table is already in that order."""
        if family_ids == self.family_ids and codes == self.codes:
            return self.array
        rows = np.asarray([self.row_index.get(f, -1) for f in family_ids], dtype=np.int64)
        cols = np.asarray([self.code_index.get(c, -1) for c in codes], dtype=np.int64)
        out = np.full((len(family_ids), len(codes)), np.nan)
        ok_r, ok_c = rows >= 0, cols >= 0
        out[np.ix_(ok_r, ok_c)] = self.array[np.ix_(rows[ok_r], cols[ok_c])]
        return out


def score_matrix(scores: Mapping[str, Mapping[str, float]], family_ids: tuple[str, ...],
                 codes: tuple[str, ...]) -> npt.NDArray[np.float64]:
    """Scores of ``family_ids`` x ``codes`` (NaN where none is given), from a
    :class:`ScoreTable` (no copy when it is in that order) or a mapping.

    >>> score_matrix({"f1": {"ON": 0.5}}, ("f1", "f2"), ("NB", "ON")).tolist()
    [[nan, 0.5], [nan, nan]]
    """
    if isinstance(scores, ScoreTable):
        return scores.matrix(family_ids, codes)
    col = {c: j for j, c in enumerate(codes)}
    out = np.full((len(family_ids), len(codes)), np.nan)
    for i, fid in enumerate(family_ids):
        row = out[i]
        for code, value in scores.get(fid, {}).items():
            j = col.get(code)
            if j is not None:
                row[j] = value
    return out


@dataclass(frozen=True)
class Problem:
    """A batch to match.

    Attributes:
        families: every family of the batch (non-consenting ones are kept and never placed).
        destinations: the destinations offering capacity.
        scores: per-member predicted outcome, ``scores[family_id][destination]`` in [0, 1]:
            a mapping, or a columnar :class:`ScoreTable` (what the CSV reader builds). A
            destination missing for a family means the family cannot go there.
        name: a label for reports.
    """

    families: tuple[Family, ...]
    destinations: tuple[Destination, ...]
    scores: Mapping[str, Mapping[str, float]]
    name: str = "batch"
    meta: Mapping[str, str] = field(default_factory=dict)

    def sorted(self) -> Problem:
        """The same problem with families and destinations sorted by id (row order removed)."""
        return Problem(
            families=tuple(sorted(self.families, key=lambda f: f.id)),
            destinations=tuple(sorted(self.destinations, key=lambda d: d.code)),
            scores=self.scores,
            name=self.name,
            meta=self.meta,
        )

    @property
    def persons(self) -> int:
        """Persons in the batch (all families)."""
        return sum(f.size for f in self.families)


def family_scores_from_members(
    member_scores: Mapping[str, Mapping[str, float]], families: tuple[Family, ...]
) -> dict[str, dict[str, float]]:
    """Per-family scores (mean over members) from per-member scores.

    A destination counts for a family only if every member has a score there.

    >>> fam = Family("f1", 2, True, members=(Member("a", "f1"), Member("b", "f1")))
    >>> family_scores_from_members({"a": {"ON": 0.4}, "b": {"ON": 0.6, "QC": 0.5}}, (fam,))
    {'f1': {'ON': 0.5}}
    """
    out: dict[str, dict[str, float]] = {}
    for fam in families:
        if not fam.members:
            continue
        per_dest: dict[str, list[float]] = {}
        for member in fam.members:
            for dest, value in member_scores.get(member.id, {}).items():
                per_dest.setdefault(dest, []).append(value)
        n = len(fam.members)
        out[fam.id] = {d: sum(v) / n for d, v in sorted(per_dest.items()) if len(v) == n}
    return out
