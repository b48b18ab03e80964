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
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast, overload

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


class MemberTable:
    """Members column by column, one row per member: ids, their family's id, and the attributes
    the outcome model reads (``birth_year`` and ``work_experience_years`` as float arrays, NaN
    where unknown; the texts as tuples). A :class:`FamilyTable` holds its members so, grouped
    by family.

    >>> t = MemberTable.of((Member("m1", "f", 1990, "F"), Member("m2", "f")))
    >>> t.ids, t.birth_year.tolist()[1], t.member(0)
    (('m1', 'm2'), nan, Member(id='m1', family_id='f', birth_year=1990, sex='F', languages=(), \
education=None, work_experience_years=None))
    """

    __slots__ = ("birth_year", "education", "family_ids", "ids", "languages", "sex",
                 "work_experience_years")

    def __init__(self, ids: Sequence[str], family_ids: Sequence[str], *,
                 birth_year: Iterable[float] | None = None,
                 sex: Sequence[str | None] | None = None,
                 languages: Sequence[tuple[tuple[str, str], ...]] | None = None,
                 education: Sequence[str | None] | None = None,
                 work_experience_years: Iterable[float] | None = None) -> None:
        n = len(ids)
        self.ids: tuple[str, ...] = tuple(ids)
        self.family_ids: tuple[str, ...] = tuple(family_ids)
        self.birth_year = _numbers(birth_year, n)
        self.sex: tuple[str | None, ...] = _column(sex, n, None)
        self.languages: tuple[tuple[tuple[str, str], ...], ...] = _column(languages, n, ())
        self.education: tuple[str | None, ...] = _column(education, n, None)
        self.work_experience_years = _numbers(work_experience_years, n)
        if not (len(self.family_ids) == len(self.sex) == len(self.languages)
                == len(self.education) == len(self.birth_year)
                == len(self.work_experience_years) == n):
            raise ValueError("every column of a MemberTable needs one value per member")

    @classmethod
    def of(cls, members: Iterable[Member]) -> MemberTable:
        """``members`` as a table."""
        people = tuple(members)
        return cls([m.id for m in people], [m.family_id for m in people],
                   birth_year=[math.nan if m.birth_year is None else m.birth_year
                               for m in people],
                   sex=[m.sex for m in people], languages=[m.languages for m in people],
                   education=[m.education for m in people],
                   work_experience_years=[math.nan if m.work_experience_years is None
                                          else m.work_experience_years for m in people])

    def take(self, rows: Sequence[int] | npt.NDArray[np.int64]) -> MemberTable:
        """The members at positions ``rows``, in that order."""
        at = np.asarray(rows, dtype=np.int64)
        picks = at.tolist()
        return MemberTable(tuple(self.ids[i] for i in picks),
                           tuple(self.family_ids[i] for i in picks),
                           birth_year=self.birth_year[at],
                           sex=tuple(self.sex[i] for i in picks),
                           languages=tuple(self.languages[i] for i in picks),
                           education=tuple(self.education[i] for i in picks),
                           work_experience_years=self.work_experience_years[at])

    def member(self, k: int) -> Member:
        """Row ``k`` as a :class:`Member`."""
        birth, years = float(self.birth_year[k]), float(self.work_experience_years[k])
        return Member(id=self.ids[k], family_id=self.family_ids[k],
                      birth_year=None if math.isnan(birth) else int(birth), sex=self.sex[k],
                      languages=self.languages[k], education=self.education[k],
                      work_experience_years=None if math.isnan(years) else years)

    def __len__(self) -> int:
        return len(self.ids)


_NO_CODES: frozenset[str] = frozenset()


class FamilyTable(Sequence[Family]):
    """The families of a batch held column by column: what :class:`Problem` keeps.

    The per-family scalars are numpy arrays (``sizes``, ``consent``) or tuples of the same
    length (``ids``, ``current``); the few-per-family lists (``services``, ``excluded``,
    ``preferences``, ``ties``) are tuples of one entry per family, mostly the same empty value.
    The members are a :class:`MemberTable` grouped by family (``people``; family ``i``'s rows
    ``member_starts[i]:member_starts[i + 1]``), or ``members``, one tuple of :class:`Member`
    per family: each is built from the other when first asked for. The solver's hot paths
    (pairs, checks, baselines, report, snapshot) read the columns; anything that wants
    :class:`Family` values gets them as a sequence, built once on first use. The CSV reader
    builds the columns straight from its Arrow columns, without a ``Family`` or ``Member`` per
    row.

    >>> t = FamilyTable.of((Family("b", 2, True), Family("a", 1, False, excluded=frozenset({"ON"}))))
    >>> t.sizes.tolist(), t.consent.tolist(), t.sorted().ids
    ([2, 1], [True, False], ('a', 'b'))
    >>> t[1].excluded == frozenset({"ON"}), t == (Family("b", 2, True), t[1])
    (True, True)
    """

    __slots__ = ("_index", "_members", "_objects", "_people", "_starts", "consent", "current",
                 "excluded", "ids", "preferences", "services", "sizes", "ties")

    def __init__(self, ids: Sequence[str], sizes: Iterable[int] | npt.NDArray[np.int64],
                 consent: Iterable[bool] | npt.NDArray[np.bool_], *,
                 current: Sequence[str | None] | None = None,
                 services: Sequence[frozenset[str]] | None = None,
                 excluded: Sequence[frozenset[str]] | None = None,
                 preferences: Sequence[tuple[str, ...]] | None = None,
                 ties: Sequence[frozenset[str]] | None = None,
                 members: Sequence[tuple[Member, ...]] | None = None,
                 people: MemberTable | None = None,
                 objects: tuple[Family, ...] | None = None) -> None:
        n = len(ids)
        self.ids: tuple[str, ...] = tuple(ids)
        self.sizes: npt.NDArray[np.int64] = _frozen(np.fromiter(sizes, np.int64, n)
                                                    if not isinstance(sizes, np.ndarray)
                                                    else sizes.astype(np.int64))
        self.consent: npt.NDArray[np.bool_] = _frozen(np.fromiter(consent, np.bool_, n)
                                                      if not isinstance(consent, np.ndarray)
                                                      else consent.astype(np.bool_))
        self.current: tuple[str | None, ...] = tuple(current) if current is not None else (None,) * n
        self.services: tuple[frozenset[str], ...] = _column(services, n, _NO_CODES)
        self.excluded: tuple[frozenset[str], ...] = _column(excluded, n, _NO_CODES)
        self.preferences: tuple[tuple[str, ...], ...] = _column(preferences, n, ())
        self.ties: tuple[frozenset[str], ...] = _column(ties, n, _NO_CODES)
        if len(self.sizes) != n or len(self.consent) != n or len(self.current) != n:
            raise ValueError("every column of a FamilyTable needs one value per family")
        self._objects = objects
        self._index: dict[str, int] | None = None
        self._members: tuple[tuple[Member, ...], ...] | None = None
        self._people: MemberTable | None = None
        self._starts: npt.NDArray[np.int64] | None = None
        if people is not None:
            self._group(people)
        elif members is not None:
            self._members = _column(members, n, ())
        else:
            self._members = ((),) * n

    def _group(self, people: MemberTable) -> None:
        """Hold ``people`` grouped by family, each family's members in their given order."""
        row_of = self.row_of
        try:
            owner = np.fromiter((row_of[fid] for fid in people.family_ids), np.int64,
                                len(people))
        except KeyError as exc:
            raise ValueError(f"a member of unknown family {exc.args[0]!r}") from None
        order = np.argsort(owner, kind="stable")
        self._people = people if np.array_equal(order, np.arange(len(order))) \
            else people.take(order)
        self._starts = _frozen(np.searchsorted(owner[order], np.arange(len(self.ids) + 1)))

    @property
    def people(self) -> MemberTable:
        """Every member, grouped by family (family ``i``'s: ``member_starts[i]:[i + 1]``)."""
        people = self._people
        if people is None:
            assert self._members is not None  # nosec B101 # one of the two is always held
            people = MemberTable.of(m for group in self._members for m in group)
            counts = np.fromiter(map(len, self._members), np.int64, len(self._members))
            # the starts before the table: a thread that sees the table sees its starts (the
            # run's snapshot reads the families in a thread while the solver runs)
            self._starts = _frozen(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))
            self._people = people
        return people

    @property
    def member_starts(self) -> npt.NDArray[np.int64]:
        """Where each family's members start among ``people`` (one more entry: the total)."""
        if self._starts is None:
            _ = self.people
        assert self._starts is not None  # nosec B101 # set with people
        return self._starts

    @property
    def member_counts(self) -> npt.NDArray[np.int64]:
        """Members listed per family (0: none, the family is scored as a whole)."""
        return np.diff(self.member_starts)

    @property
    def members(self) -> tuple[tuple[Member, ...], ...]:
        """Each family's members as :class:`Member` values (built once from ``people``)."""
        if self._members is None:
            people, starts = self.people, self.member_starts.tolist()
            built = [people.member(k) for k in range(len(people))]
            self._members = tuple(tuple(built[a:b]) for a, b in itertools.pairwise(starts))
        return self._members

    def family_members(self, i: int) -> tuple[Member, ...]:
        """Family ``i``'s members, without building every family's."""
        if self._members is not None:
            return self._members[i]
        a, b = self.member_starts[i:i + 2].tolist()
        return tuple(self.people.member(k) for k in range(a, b))

    @classmethod
    def of(cls, families: Iterable[Family]) -> FamilyTable:
        """``families`` as a table (the table itself when it is one already)."""
        if isinstance(families, FamilyTable):
            return families
        objects = tuple(families)
        return cls([f.id for f in objects], [f.size for f in objects],
                   [f.consent for f in objects], current=[f.current for f in objects],
                   services=[f.services for f in objects],
                   excluded=[f.excluded for f in objects],
                   preferences=[f.preferences for f in objects], ties=[f.ties for f in objects],
                   members=[f.members for f in objects], objects=objects)

    def _columns(self) -> dict[str, Any]:
        return {"current": self.current, "services": self.services, "excluded": self.excluded,
                "preferences": self.preferences, "ties": self.ties}

    def take(self, rows: Sequence[int] | npt.NDArray[np.int64]) -> FamilyTable:
        """The families at positions ``rows``, in that order (their members with them)."""
        at = np.asarray(rows, dtype=np.int64)
        picks = at.tolist()
        columns: dict[str, Any] = {k: tuple(v[i] for i in picks)
                                   for k, v in self._columns().items()}
        if self._members is not None:
            columns["members"] = tuple(self._members[i] for i in picks)
        else:  # the picked families' member rows, family after family
            starts = self.member_starts
            counts = starts[at + 1] - starts[at]
            first = np.repeat(starts[at] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
            columns["people"] = self.people.take(first + np.arange(int(counts.sum())))
        objects = self._objects
        return FamilyTable(tuple(self.ids[i] for i in picks), self.sizes[at], self.consent[at],
                           **columns,
                           objects=None if objects is None else tuple(objects[i] for i in picks))

    def sorted(self) -> FamilyTable:
        """The families sorted by id (the table itself when they already are)."""
        ids = self.ids
        if all(a <= b for a, b in itertools.pairwise(ids)):
            return self
        return self.take(sorted(range(len(ids)), key=ids.__getitem__))

    def with_people(self, people: MemberTable) -> FamilyTable:
        """The same families with these members (each row names its family's id; a family's
        members keep their order). ValueError when a member's family is not in the table."""
        return FamilyTable(self.ids, self.sizes, self.consent, **self._columns(), people=people)

    @property
    def row_of(self) -> dict[str, int]:
        """Position of each family id (the last one when an id repeats)."""
        if self._index is None:
            self._index = {fid: i for i, fid in enumerate(self.ids)}
        return self._index

    def _family(self, i: int, *, with_members: bool = True) -> Family:
        return Family(id=self.ids[i], size=int(self.sizes[i]), consent=bool(self.consent[i]),
                      current=self.current[i], services=self.services[i],
                      excluded=self.excluded[i], preferences=self.preferences[i],
                      ties=self.ties[i], members=self.family_members(i) if with_members else ())

    def rules_of(self, i: int) -> Family:
        """Family ``i`` with every field the placement rules read, but not its members (cheap
        when the members are columns: the explanations read 20,000 families so)."""
        if self._objects is not None:
            return self._objects[i]
        return self._family(i, with_members=False)

    def objects(self) -> tuple[Family, ...]:
        """Every family as a :class:`Family` value (built once)."""
        if self._objects is None:
            self._objects = tuple(self._family(i) for i in range(len(self.ids)))
        return self._objects

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, i: int) -> Family: ...

    @overload
    def __getitem__(self, i: slice) -> FamilyTable: ...

    def __getitem__(self, i: int | slice) -> Family | FamilyTable:
        if isinstance(i, slice):
            return self.take(range(len(self.ids))[i])
        if self._objects is not None:
            return self._objects[i]
        return self._family(range(len(self.ids))[i])

    def __iter__(self) -> Iterator[Family]:
        return iter(self.objects())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(other) == len(self) and self.objects() == tuple(other)

    def __hash__(self) -> int:
        return hash(self.objects())

    def __repr__(self) -> str:
        return f"FamilyTable({len(self)} families)"


def _frozen(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    values.setflags(write=False)
    return values


def _column(values: Sequence[Any] | None, n: int, empty: Any) -> tuple[Any, ...]:
    return (empty,) * n if values is None else tuple(values)


def _numbers(values: Iterable[float] | None, n: int) -> npt.NDArray[np.float64]:
    if values is None:
        return _frozen(np.full(n, np.nan))
    if isinstance(values, np.ndarray):
        return _frozen(values.astype(np.float64))
    return _frozen(np.fromiter(values, np.float64, n))


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

    def band_for(self, size: int) -> str | None:
        """The housing band that holds a family of ``size`` here, or None (no housing limit,
        or no band for that size). The one place that decides it: the model's housing rows,
        the plan check and the explanations all ask here. Bands never overlap (the input
        check refuses overlapping ones), so at most one band holds a size.

        >>> Destination("NB", 10, housing_units={"1-2": 3, "5+": 1}).band_for(6)
        '5+'
        """
        for band in self.housing_units or {}:
            low, high = band_bounds(band)
            if low <= size <= high:
                return band
        return None


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

    families: Sequence[Family]
    destinations: tuple[Destination, ...]
    scores: Mapping[str, Mapping[str, float]]
    name: str = "batch"
    meta: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "families", FamilyTable.of(self.families))

    @property
    def family_table(self) -> FamilyTable:
        """The families as columns (what ``families`` holds, typed as such)."""
        return cast(FamilyTable, self.families)  # made a table by __post_init__

    def sorted(self) -> Problem:
        """The same problem with families and destinations sorted by id (row order removed)."""
        return Problem(
            families=self.family_table.sorted(),
            destinations=tuple(sorted(self.destinations, key=lambda d: d.code)),
            scores=self.scores,
            name=self.name,
            meta=self.meta,
        )

    @property
    def persons(self) -> int:
        """Persons in the batch (all families)."""
        return int(self.family_table.sizes.sum())


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
