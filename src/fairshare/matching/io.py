"""CSV readers and writers for the ``fairshare match`` contract.

- families.csv: ``family_id,size,consent`` and optionally ``current,excluded,preferences,services,
  ties`` (lists separated by ``;``, preferences in rank order).
- destinations.csv: ``code,capacity`` and optionally ``min,max,services,housing,shortfall``
  (``housing`` like ``1-2:40;3-4:25;5+:6``: units by family-size band).
- scores.csv: ``family_id,destination,score`` (per-member predicted outcome in [0, 1]).
- plan.csv: ``family_id,destination`` (empty destination: unplaced).

Columns are an allow-list: an unknown column is an error, so no unexpected personal data enters.
Every error names the file, the row and the column.
"""

from __future__ import annotations

import csv
import functools
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow._compute as pac
import pyarrow.csv as pacsv

from fairshare.csvsafe import escape_csv_cell
from fairshare.errors import InputError, at
from fairshare.i18n import N_, msg
from fairshare.matching.problem import (
    Destination,
    FamilyTable,
    MemberTable,
    Problem,
    ScoreTable,
)
from fairshare.privatefs import open_private

FAMILY_COLUMNS = ("family_id", "size", "consent", "current", "excluded", "preferences",
                  "services", "ties")
DESTINATION_COLUMNS = ("code", "capacity", "min", "max", "services", "housing", "shortfall")
SCORE_COLUMNS = ("family_id", "destination", "score")
MEMBER_SCORE_COLUMNS = ("member_id", "destination", "score")
MEMBER_COLUMNS = ("member_id", "family_id", "birth_year", "sex", "languages", "education",
                  "work_experience_years")
TRUE = frozenset({"true", "yes", "1", "y", "t"})
FALSE = frozenset({"false", "no", "0", "n", "f"})


def _call(function: str, *args: Any, options: Any = None) -> Any:
    """Arrow's compute function ``function`` on ``args``: what ``pyarrow.compute``'s wrappers
    call, without importing that module (it generates some 300 Python wrappers when imported,
    0.1 s of the command's start-up). Array methods such as ``cast`` and ``take`` import it
    too, so they go through here."""
    return pac.call_function(function, list(args), options)


def _cast(values: Any, to: Any) -> Any:
    """``values`` cast to the Arrow type ``to``, checked (``pyarrow.compute.cast``'s default)."""
    return _call("cast", values, options=pac.CastOptions.safe(to))


def _one_of(words: frozenset[str]) -> str:
    """A regular expression matching exactly one of ``words``."""
    return "^(" + "|".join(sorted(words)) + ")$"


class _Cells:
    """A CSV file's columns as pyarrow string arrays of stripped cells (``None``: absent)."""

    def __init__(self, path: Path, columns: dict[str, Any], rows: int) -> None:
        self.path, self.columns, self.rows = path, columns, rows

    def __contains__(self, name: str) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> Any:
        return self.columns[name]

    def text(self, name: str) -> list[str]:
        """The column as Python strings ("" everywhere when the file has no such column)."""
        return self.columns[name].to_pylist() if name in self.columns else [""] * self.rows


def _header(path: Path) -> list[str]:
    """The raw header cells (the first non-blank record), [] for an empty file."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return next((row for row in csv.reader(fh) if row), [])


def _not_utf8(path: Path) -> InputError:
    try:
        path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return InputError(msg("file_not_utf8_reason", where=str(path), reason=exc.reason,
                              byte=exc.start))
    return InputError(msg("file_not_readable_csv", where=str(path), problem="invalid UTF-8"))


def _unique_names(names: list[str]) -> list[str]:
    """Header names stripped, a repeated name numbered like ``size.1`` (so it is unknown)."""
    out: list[str] = []
    for name in (n.strip() for n in names):
        k, candidate = 0, name
        while candidate in out:
            k += 1
            candidate = f"{name}.{k}"
        out.append(candidate)
    return out


def _frame(path: Path, required: tuple[str, ...], allowed: tuple[str, ...]) -> _Cells:
    """The file's columns as stripped text (vectorised: Arrow's CSV reader, every column read
    as text, nothing guessed), with the header checked against ``allowed``. A row with fewer
    cells than the header is padded with empty cells; one with more is an error."""
    if not path.is_file():
        raise InputError(msg("file_no_such_file", where=str(path)))
    try:
        raw = _header(path)
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    longer: list[int] = []
    shorter: list[tuple[int, str]] = []

    def invalid(row: Any) -> str:
        if row.actual_columns > row.expected_columns:
            longer.append(int(row.number))
            return "error"
        shorter.append((int(row.number), str(row.text)))
        return "skip"

    table = None
    if raw:
        try:
            table = pacsv.read_csv(
                path, read_options=pacsv.ReadOptions(use_threads=False),  # row numbers
                parse_options=pacsv.ParseOptions(invalid_row_handler=invalid),
                convert_options=pacsv.ConvertOptions(
                    column_types={name: pa.string() for name in raw},
                    strings_can_be_null=False, quoted_strings_can_be_null=False))
        except pa.ArrowInvalid as exc:
            if longer:
                raise InputError(msg("file_more_cells_than_columns",
                                     where=at(path, longer[0]))) from None
            if "UTF8" in str(exc):
                raise _not_utf8(path) from None
            raise InputError(msg("file_not_readable_csv", where=str(path),
                                 problem=str(exc))) from None
    header = _unique_names(table.column_names if table is not None else [])
    missing = [c for c in required if c not in header]
    if missing or table is None:
        raise InputError(msg("file_missing_columns_needs", where=str(path),
                             missing=", ".join(missing), required=", ".join(required)))
    unknown = [c for c in header if c not in allowed]
    if unknown:
        raise InputError(msg("file_unknown_columns", where=str(path), unknown=", ".join(unknown),
                             allowed=", ".join(allowed)))
    columns = list(table.columns)
    if shorter:  # rare: put the padded rows back where they were
        lists = [c.to_pylist() for c in columns]
        for number, text in shorter:
            cells = next(csv.reader([text]), [])
            for j, values in enumerate(lists):
                values.insert(number - 2, cells[j] if j < len(cells) else "")
        columns = [pa.array(values, pa.string()) for values in lists]
    return _Cells(path, {name: _call("utf8_trim_whitespace", col)
                         for name, col in zip(header, columns, strict=True)}, table.num_rows
                  + len(shorter))


def _first(cells: _Cells, bad: npt.NDArray[np.bool_], col: str, msgid: str) -> None:
    """Raise for the first row where ``bad`` (a mask) holds: the catalogue message ``msgid``
    with the cell's place (``where``) and its text (``raw``)."""
    k = _first_row(bad)
    if k >= 0:
        raise InputError(msg(msgid, where=at(cells.path, k + 2, col),
                             raw=str(cells[col][k].as_py())))


def _first_row(bad: npt.NDArray[np.bool_]) -> int:
    """The first index where the mask holds, -1 if nowhere."""
    where = np.flatnonzero(bad)
    return int(where[0]) if len(where) else -1


def _numpy(values: Any, dtype: type[Any]) -> npt.NDArray[Any]:
    """An Arrow array of numbers or booleans without nulls as NumPy, read from its buffer
    (Arrow's own conversions, like making Arrow values from Python ones, import pandas:
    0.2 s of the command's start-up)."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_boolean(array.type):
        return _numpy(_cast(array, pa.int8()), np.int8).astype(bool)
    if not len(array):
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array),
                         offset=array.offset * np.dtype(dtype).itemsize)


def _empty(text: Any) -> npt.NDArray[np.bool_]:
    """Where a text column's cells are empty."""
    lengths: npt.NDArray[np.int32] = _numpy(_call("utf8_length", text), np.int32)
    empty: npt.NDArray[np.bool_] = lengths == 0
    return empty


def _matches(text: Any, pattern: str) -> npt.NDArray[np.bool_]:
    """Where a text column's cells match a (RE2) regular expression."""
    return _numpy(_call("match_substring_regex", text, options=pac.MatchSubstringOptions(pattern)),
                  np.bool_)


def _if_empty(text: Any, value: str) -> Any:
    """The text column with ``value`` in its empty cells."""
    return _call("replace_substring_regex", text,
                 options=pac.ReplaceSubstringOptions("^$", value))


def _whole_numbers(cells: _Cells, col: str, *, minimum: int | None = None,
                   optional: bool = False) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """A column of whole numbers (0 where empty) and where it is empty, checked at once (empty
    cells are accepted when ``optional``)."""
    text = cells[col]
    empty = _empty(text)
    bad = ~_matches(text, r"^[+-]?\d{1,18}$")
    _first(cells, bad & ~empty if optional else bad, col, N_("cell_not_whole"))
    values = _numpy(_cast(_if_empty(_call("utf8_ltrim", text, options=pac.TrimOptions("+")), "0"),
                          pa.int64()), np.int64)
    if minimum is not None:
        k = _first_row((values < minimum) & ~empty)
        if k >= 0:
            raise InputError(msg("cell_below", where=at(cells.path, k + 2, col),
                                 value=int(values[k]), minimum=minimum))
    return values, empty


def _optional_ints(cells: _Cells, col: str, *, minimum: int | None = None) -> list[int | None]:
    if col not in cells:
        return [None] * cells.rows
    values, empty = _whole_numbers(cells, col, minimum=minimum, optional=True)
    return [None if e else v for v, e in zip(values.tolist(), empty.tolist(), strict=True)]


def _floats(cells: _Cells, col: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """A column as float64 (NaN where empty or not a number) and where a cell is not a number
    (empty cells excluded); vectorised, cell by cell only when some cell is not a number."""
    text = cells[col]
    try:
        values = _numpy(_cast(_if_empty(text, "nan"), pa.float64()), np.float64)
        return values, np.zeros(len(values), dtype=bool)
    except pa.ArrowInvalid:
        pass
    parsed: list[float] = []
    wrong: list[bool] = []
    for raw in text.to_pylist():
        try:
            if not raw.isascii() or "_" in raw:  # what Python reads and Arrow does not
                raise ValueError(raw)
            parsed.append(float(raw) if raw else math.nan)
            wrong.append(False)
        except ValueError:
            parsed.append(math.nan)
            wrong.append(True)
    return np.asarray(parsed, dtype=np.float64), np.asarray(wrong, dtype=bool)


def _optional_floats(cells: _Cells, col: str) -> list[float | None]:
    """An optional number column: None where empty, an error naming the first bad cell."""
    if col not in cells:
        return [None] * cells.rows
    values, wrong = _floats(cells, col)
    _first(cells, wrong | (np.isnan(values) & ~_empty(cells[col])), col,
           N_("cell_not_number"))
    return [None if math.isnan(v) else v for v in values.tolist()]


@functools.lru_cache(maxsize=4096)  # lists repeat across rows ("ON;QC", "french")
def _list(raw: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in raw.split(";") if x.strip())


@functools.lru_cache(maxsize=4096)
def _set(raw: str) -> frozenset[str]:
    return frozenset(_list(raw))


def _int(path: Path, n: int, col: str, raw: str, *, minimum: int | None = None) -> int:
    try:
        value = int(raw)
    except ValueError as exc:
        raise InputError(msg("cell_not_whole", where=at(path, n, col), raw=raw)) from exc
    if minimum is not None and value < minimum:
        raise InputError(msg("cell_below", where=at(path, n, col), value=value, minimum=minimum))
    return value


def read_families(path: Path) -> FamilyTable:
    """Families from a CSV file (see module docstring), as columns: no ``Family`` per row."""
    cells = _frame(path, ("family_id", "size", "consent"), FAMILY_COLUMNS)
    _first(cells, _empty(cells["family_id"]), "family_id", N_("cell_empty_id"))
    consent = _call("utf8_lower", cells["consent"])
    _first(cells, ~_matches(consent, _one_of(TRUE | FALSE)), "consent", N_("cell_not_bool"))
    sizes, _ = _whole_numbers(cells, "size", minimum=1)
    return FamilyTable(cells.text("family_id"), sizes, _matches(consent, _one_of(TRUE)),
                       current=[c or None for c in cells.text("current")],
                       services=[_set(v) for v in cells.text("services")],
                       excluded=[_set(v) for v in cells.text("excluded")],
                       preferences=[_list(v) for v in cells.text("preferences")],
                       ties=[_set(v) for v in cells.text("ties")])


def _housing(path: Path, n: int, raw: str) -> dict[str, int] | None:
    if not raw:
        return None
    out: dict[str, int] = {}
    for part in _list(raw):
        band, sep, units = part.partition(":")
        if not sep:
            raise InputError(msg("match_housing_band", where=at(path, n, "housing"), part=part))
        out[band.strip()] = _int(path, n, "housing", units.strip(), minimum=0)
    return out


def read_destinations(path: Path) -> tuple[Destination, ...]:
    """Destinations from a CSV file (see module docstring)."""
    cells = _frame(path, ("code", "capacity"), DESTINATION_COLUMNS)
    _first(cells, _empty(cells["code"]), "code", N_("file_empty_code"))
    capacity, _ = _whole_numbers(cells, "capacity", minimum=0)
    low = _optional_ints(cells, "min", minimum=0)
    high = _optional_ints(cells, "max", minimum=0)
    shortfall = _optional_floats(cells, "shortfall")
    return tuple(
        Destination(code=code, capacity=cap, services=_set(services), min_intake=low[k],
                    max_intake=high[k], housing_units=_housing(path, k + 2, housing),
                    shortfall=shortfall[k])
        for k, (code, cap, services, housing) in enumerate(zip(
            cells.text("code"), capacity.tolist(), cells.text("services"),
            cells.text("housing"), strict=True)))


def _scores(cells: _Cells) -> npt.NDArray[np.float64]:
    """The score column as numbers in [0, 1], or an error naming the first bad row."""
    values, wrong = _floats(cells, "score")
    bad = np.isnan(values)
    k = _first_row(bad)
    if k >= 0 and (wrong[k] or not cells["score"][k].as_py()):
        raise InputError(msg("cell_not_number", where=at(cells.path, k + 2, "score"),
                             raw=str(cells["score"][k].as_py())))
    k = _first_row(bad | (values < 0) | (values > 1))
    if k >= 0:
        raise InputError(msg("cell_score_outside", where=at(cells.path, k + 2, "score"),
                             value=float(values[k])))
    return values


def _factorize(column: Any) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Each cell's index among the column's distinct values, and those values sorted."""
    distinct = _call("unique", column)
    distinct = _call("take", distinct, _call("array_sort_indices", distinct))
    index = _numpy(_call("index_in", column, options=pac.SetLookupOptions(distinct)),
                   np.int32).astype(np.int64)
    return index, distinct.to_pylist()


def _table(cells: _Cells, key: str) -> tuple[list[str], list[str], npt.NDArray[np.float64]]:
    """Rows ``key`` x destination of the scores, refusing a duplicate pair (named by row)."""
    values = _scores(cells)
    rows, row_ids = _factorize(cells[key])
    cols, codes = _factorize(cells["destination"])
    table = np.full((len(row_ids), len(codes)), np.nan)
    table[rows, cols] = values
    if np.count_nonzero(~np.isnan(table)) < len(values):  # a pair given twice
        pair = rows * len(codes) + cols
        order = np.argsort(pair, kind="stable")
        again = order[1:][pair[order[1:]] == pair[order[:-1]]]
        k = int(again.min())  # the first row repeating an earlier one
        raise InputError(msg(N_("match_duplicate_family_score") if key == "family_id"
                             else N_("match_duplicate_member_score"), where=at(cells.path, k + 2),
                             id=str(cells[key][k].as_py()),
                             code=str(cells["destination"][k].as_py())))
    return row_ids, codes, table


def read_scores(path: Path) -> ScoreTable:
    """Scores from a CSV file (a columnar table); a duplicate (family, destination) pair is an
    error."""
    fids, codes, table = _table(_frame(path, SCORE_COLUMNS, SCORE_COLUMNS), "family_id")
    return ScoreTable(tuple(fids), tuple(codes), table)


def read_members(path: Path) -> MemberTable:
    """Members, in file order, as columns (``languages`` like ``fr:B2;en:A1``)."""
    cells = _frame(path, ("member_id", "family_id"), MEMBER_COLUMNS)
    births = _optional_ints(cells, "birth_year")
    years = _optional_floats(cells, "work_experience_years")
    return MemberTable(cells.text("member_id"), cells.text("family_id"),
                       birth_year=[math.nan if b is None else b for b in births],
                       sex=[v or None for v in cells.text("sex")],
                       languages=[_languages(v) for v in cells.text("languages")],
                       education=[v or None for v in cells.text("education")],
                       work_experience_years=[math.nan if y is None else y for y in years])


@functools.lru_cache(maxsize=4096)
def _languages(raw: str) -> tuple[tuple[str, str], ...]:
    return tuple((lang.strip(), level.strip())
                 for lang, _, level in (part.partition(":") for part in _list(raw)))


def _read_score_file(path: Path, families: FamilyTable) -> ScoreTable:
    """Family scores from family-level or member-level (``member_id,...``) score files.

    Member level: a family's score at a destination is the mean over its members, counted only
    where every member has one (:func:`~fairshare.matching.problem.family_scores_from_members`,
    here vectorised over the members' columns)."""
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline()
    if "member_id" not in header:
        return read_scores(path)
    counts = families.member_counts
    if not counts.any():
        raise InputError(msg("match_member_scores_need_members", where=str(path)))
    members, codes, table = _table(_frame(path, MEMBER_SCORE_COLUMNS, MEMBER_SCORE_COLUMNS),
                                   "member_id")
    row_of = {m: i for i, m in enumerate(members)}
    rows = np.fromiter((row_of.get(m, -1) for m in families.people.ids), np.int64,
                       len(families.people))
    with_members = np.flatnonzero(counts)
    starts, sizes = families.member_starts[with_members], counts[with_members]
    # the sum over each family's members, added in their order (as numpy's mean adds), then
    # the mean; a member without any score leaves the family no destination, a missing score
    # one destination less (NaN)
    sums = np.zeros((len(with_members), len(codes)))
    unscored = np.zeros(len(with_members), dtype=bool)
    for k in range(int(sizes.max())):
        has = np.flatnonzero(sizes > k)
        at = rows[starts[has] + k]
        sums[has] += table[np.maximum(at, 0)]
        unscored[has] |= at < 0
    out = sums / sizes[:, None]
    out[unscored] = np.nan
    return ScoreTable(tuple(families.ids[k] for k in with_members.tolist()), tuple(codes), out)


def read_problem(families: Path, destinations: Path, scores: Path | None,
                 members: Path | None = None) -> Problem:
    """A problem from the contract files; without scores, the default scorer is used.

    Scores may be per family (``family_id,destination,score``) or per member
    (``member_id,destination,score``, with ``members``): a family's score is then the mean over
    its members (its outcome the sum).
    """
    fams = read_families(families)
    dests = read_destinations(destinations)
    if members is not None:
        people = read_members(members)
        unknown = sorted(set(people.family_ids) - set(fams.ids))
        if unknown:
            raise InputError(msg("match_members_unknown_families", where=str(members),
                                 families=", ".join(unknown[:10])))
        fams = fams.with_people(people)
    if scores is not None:
        return Problem(families=fams, destinations=dests, scores=_read_score_file(scores, fams),
                       name=families.stem)
    from fairshare.matching.scoring import default_scores

    problem = Problem(families=fams, destinations=dests, scores={})
    return Problem(families=fams, destinations=dests, scores=default_scores(problem),
                   name=families.stem)


def write_plan(path: Path, assignment: Mapping[str, str | None]) -> None:
    """Write ``family_id,destination`` rows sorted by family id (empty: unplaced), mode 0600."""
    with open_private(path, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["family_id", "destination"])
        for fid in sorted(assignment):
            w.writerow([escape_csv_cell(fid), escape_csv_cell(assignment[fid] or "")])


def write_problem(folder: Path, problem: Problem) -> None:
    """Write families.csv, destinations.csv and scores.csv for ``problem`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "families.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(FAMILY_COLUMNS)
        for f in problem.families:
            w.writerow([f.id, f.size, "true" if f.consent else "false", f.current or "",
                        ";".join(sorted(f.excluded)), ";".join(f.preferences),
                        ";".join(sorted(f.services)), ";".join(sorted(f.ties))])
    with (folder / "destinations.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(DESTINATION_COLUMNS)
        for d in problem.destinations:
            housing = ";".join(f"{b}:{u}" for b, u in sorted((d.housing_units or {}).items()))
            w.writerow([d.code, d.capacity, "" if d.min_intake is None else d.min_intake,
                        "" if d.max_intake is None else d.max_intake, ";".join(sorted(d.services)),
                        housing, "" if d.shortfall is None else f"{d.shortfall:g}"])
    with (folder / "scores.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(SCORE_COLUMNS)
        for fid in sorted(problem.scores):
            for code, value in sorted(problem.scores[fid].items()):
                w.writerow([fid, code, f"{value:.6f}"])
