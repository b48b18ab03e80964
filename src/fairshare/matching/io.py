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
import dataclasses
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairshare.csvsafe import escape_csv_cell
from fairshare.errors import InputError, at
from fairshare.i18n import N_, msg
from fairshare.matching.problem import (
    Destination,
    Family,
    Member,
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


def _frame(path: Path, required: tuple[str, ...], allowed: tuple[str, ...],
           numbers: tuple[str, ...] = ()) -> pd.DataFrame:
    """The file as a table of stripped text cells (vectorised: pandas' C parser, every column
    read as text, nothing guessed), with the header checked against ``allowed``. A column of
    ``numbers`` is parsed as float64 when every cell is a number (else it stays text, for the
    caller to name the bad cell)."""
    if not path.is_file():
        raise InputError(msg("file_no_such_file", where=str(path)))
    dtype: Any = str if not numbers else {c: str for c in allowed if c not in numbers}
    try:
        df = pd.read_csv(path, dtype=dtype, keep_default_na=False, na_filter=False,
                         encoding="utf-8-sig", engine="c")
    except UnicodeDecodeError as exc:
        raise InputError(msg("file_not_utf8_reason", where=str(path), reason=exc.reason,
                             byte=exc.start)) from exc
    except pd.errors.EmptyDataError:
        df = pd.DataFrame()
    except pd.errors.ParserError as exc:
        line = re.search(r"line (\d+)", str(exc))
        if line and "Expected" in str(exc):
            raise InputError(msg("file_more_cells_than_columns",
                                 where=at(path, int(line.group(1))))) from exc
        raise InputError(msg("file_not_readable_csv", where=str(path), problem=str(exc))) from exc
    header = [str(h).strip() for h in df.columns]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(msg("file_missing_columns_needs", where=str(path),
                             missing=", ".join(missing), required=", ".join(required)))
    unknown = [c for c in header if c not in allowed]
    if unknown:
        raise InputError(msg("file_unknown_columns", where=str(path), unknown=", ".join(unknown),
                             allowed=", ".join(allowed)))
    df.columns = header
    for c in header:
        if not pd.api.types.is_float_dtype(df[c]) and not pd.api.types.is_integer_dtype(df[c]):
            df[c] = df[c].fillna("").astype(str).str.strip()
    return df


def _first(path: Path, bad: Any, col: str, msgid: str, cells: pd.Series) -> None:
    """Raise for the first row where ``bad`` holds: the catalogue message ``msgid`` with the
    cell's place (``where``) and its text (``raw``)."""
    where = np.flatnonzero(np.asarray(bad))
    if len(where):
        k = int(where[0])
        raise InputError(msg(msgid, where=at(path, k + 2, col), raw=str(cells.iloc[k])))


def _whole_numbers(path: Path, df: pd.DataFrame, col: str, *, minimum: int | None = None,
                   optional: bool = False) -> list[int | None]:
    """A column of whole numbers (empty cells None when ``optional``), checked at once."""
    cells = df[col]
    empty = (cells == "").to_numpy()
    ok = cells.str.fullmatch(r"[+-]?\d+").to_numpy(dtype=bool)
    _first(path, ~ok & ~(empty & optional), col, N_("cell_not_whole"), cells)
    values = pd.to_numeric(cells.where(~empty, "0")).to_numpy(dtype=np.int64)
    if minimum is not None:
        low = (values < minimum) & ~empty
        where = np.flatnonzero(low)
        if len(where):
            k = int(where[0])
            raise InputError(msg("cell_below", where=at(path, k + 2, col), value=int(values[k]),
                                 minimum=minimum))
    return [None if e else int(v) for v, e in zip(values.tolist(), empty.tolist(), strict=True)]


def _int(path: Path, n: int, col: str, raw: str, *, minimum: int | None = None) -> int:
    try:
        value = int(raw)
    except ValueError as exc:
        raise InputError(msg("cell_not_whole", where=at(path, n, col), raw=raw)) from exc
    if minimum is not None and value < minimum:
        raise InputError(msg("cell_below", where=at(path, n, col), value=value, minimum=minimum))
    return value


@functools.lru_cache(maxsize=4096)  # lists repeat across rows ("ON;QC", "french")
def _list(raw: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in raw.split(";") if x.strip())


def read_families(path: Path) -> tuple[Family, ...]:
    """Families from a CSV file (see module docstring)."""
    df = _frame(path, ("family_id", "size", "consent"), FAMILY_COLUMNS)
    _first(path, df["family_id"] == "", "family_id", N_("cell_empty_id"), df["family_id"])
    consent = df["consent"].str.lower()
    _first(path, ~consent.isin(TRUE | FALSE), "consent", N_("cell_not_bool"),
           df["consent"])
    sizes = _whole_numbers(path, df, "size", minimum=1)
    n = len(df)
    empty = [""] * n

    def col(name: str) -> list[str]:
        return df[name].tolist() if name in df.columns else empty

    agrees = consent.isin(TRUE).tolist()
    out = [Family(id=fid, size=int(size or 0), consent=c, current=cur or None,
                  services=frozenset(_list(sv)) if sv else frozenset(),
                  excluded=frozenset(_list(ex)) if ex else frozenset(),
                  preferences=_list(pr) if pr else (),
                  ties=frozenset(_list(ti)) if ti else frozenset())
           for fid, size, c, cur, sv, ex, pr, ti in zip(
               df["family_id"].tolist(), sizes, agrees, col("current"), col("services"),
               col("excluded"), col("preferences"), col("ties"), strict=True)]
    return tuple(out)


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
    df = _frame(path, ("code", "capacity"), DESTINATION_COLUMNS)
    _first(path, df["code"] == "", "code", N_("file_empty_code"), df["code"])
    capacity = _whole_numbers(path, df, "capacity", minimum=0)
    n = len(df)
    none: list[int | None] = [None] * n
    low = _whole_numbers(path, df, "min", minimum=0, optional=True) if "min" in df else none
    high = _whole_numbers(path, df, "max", minimum=0, optional=True) if "max" in df else none
    shortfall: list[float | None] = [None] * n
    if "shortfall" in df:
        cells = df["shortfall"]
        parsed = pd.to_numeric(cells, errors="coerce")
        _first(path, parsed.isna() & (cells != ""), "shortfall", N_("cell_not_number"),
               cells)
        shortfall = [None if t == "" else float(v)
                     for t, v in zip(cells.tolist(), parsed.tolist(), strict=True)]
    out = []
    for k, code in enumerate(df["code"].tolist()):
        row = {c: df[c].iloc[k] for c in ("services", "housing") if c in df}
        out.append(Destination(
            code=code, capacity=int(capacity[k] or 0),
            services=frozenset(_list(row.get("services", ""))),
            min_intake=low[k], max_intake=high[k],
            housing_units=_housing(path, k + 2, row.get("housing", "")),
            shortfall=shortfall[k]))
    return tuple(out)


def _scores(path: Path, df: pd.DataFrame) -> npt.NDArray[np.float64]:
    """The score column as numbers in [0, 1], or an error naming the first bad row."""
    cells = df["score"]
    if pd.api.types.is_float_dtype(cells) or pd.api.types.is_integer_dtype(cells):
        values = cells.to_numpy(dtype=np.float64)  # parsed by the C reader: all numbers
    else:
        values = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(values)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        try:
            float(str(cells.iloc[k]))
        except ValueError:
            raise InputError(msg("cell_not_number", where=at(path, k + 2, "score"),
                                 raw=str(cells.iloc[k]))) from None
    outside = bad | (values < 0) | (values > 1)
    if outside.any():
        k = int(np.flatnonzero(outside)[0])
        raise InputError(msg("cell_score_outside", where=at(path, k + 2, "score"),
                             value=float(values[k])))
    return values


def _table(path: Path, df: pd.DataFrame, key: str) -> tuple[pd.Index, pd.Index,
                                                           npt.NDArray[np.float64]]:
    """Rows ``key`` x destination of the scores, refusing a duplicate pair (named by row)."""
    values = _scores(path, df)
    dup = df.duplicated([key, "destination"]).to_numpy()
    if dup.any():
        k = int(np.flatnonzero(dup)[0])
        raise InputError(msg(N_("match_duplicate_family_score") if key == "family_id"
                             else N_("match_duplicate_member_score"), where=at(path, k + 2),
                             id=str(df[key].iloc[k]), code=str(df["destination"].iloc[k])))
    rows, row_ids = pd.factorize(df[key], sort=True)
    cols, codes = pd.factorize(df["destination"], sort=True)
    table = np.full((len(row_ids), len(codes)), np.nan)
    table[rows, cols] = values
    return pd.Index(row_ids), pd.Index(codes), table


def read_scores(path: Path) -> ScoreTable:
    """Scores from a CSV file (a columnar table); a duplicate (family, destination) pair is an
    error."""
    fids, codes, table = _table(path, _frame(path, SCORE_COLUMNS, SCORE_COLUMNS, ("score",)),
                                "family_id")
    return ScoreTable(tuple(fids.tolist()), tuple(codes.tolist()), table)


def read_members(path: Path) -> dict[str, list[Member]]:
    """Members by family id (``languages`` like ``fr:B2;en:A1``)."""
    df = _frame(path, ("member_id", "family_id"), MEMBER_COLUMNS)
    n = len(df)
    empty = [""] * n

    def col(name: str) -> list[str]:
        return df[name].tolist() if name in df.columns else empty

    births: list[int | None] = [None] * n
    if "birth_year" in df:
        births = _whole_numbers(path, df, "birth_year", optional=True)
    years: list[float | None] = [None] * n
    if "work_experience_years" in df:
        cells = df["work_experience_years"]
        parsed = pd.to_numeric(cells, errors="coerce")
        _first(path, parsed.isna() & (cells != ""), "work_experience_years",
               N_("cell_not_number"), cells)
        years = [None if t == "" else float(v)
                 for t, v in zip(cells.tolist(), parsed.tolist(), strict=True)]
    out: dict[str, list[Member]] = {}
    for k, (mid, fid, sex, langs_raw, edu) in enumerate(zip(
            df["member_id"].tolist(), df["family_id"].tolist(), col("sex"), col("languages"),
            col("education"), strict=True)):
        langs = []
        for part in _list(langs_raw):
            lang, _, level = part.partition(":")
            langs.append((lang.strip(), level.strip()))
        out.setdefault(fid, []).append(Member(
            id=mid, family_id=fid, birth_year=births[k], sex=sex or None,
            languages=tuple(langs), education=edu or None, work_experience_years=years[k]))
    return out


def _read_score_file(path: Path, families: tuple[Family, ...]) -> ScoreTable:
    """Family scores from family-level or member-level (``member_id,...``) score files.

    Member level: a family's score at a destination is the mean over its members, counted only
    where every member has one (:func:`~fairshare.matching.problem.family_scores_from_members`,
    here vectorised)."""
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline()
    if "member_id" not in header:
        return read_scores(path)
    if not any(f.members for f in families):
        raise InputError(msg("match_member_scores_need_members", where=str(path)))
    members, codes, table = _table(path, _frame(path, MEMBER_SCORE_COLUMNS,
                                                MEMBER_SCORE_COLUMNS, ("score",)), "member_id")
    row_of = {m: i for i, m in enumerate(members.tolist())}
    with_members = [f for f in families if f.members]
    out = np.full((len(with_members), len(codes)), np.nan)
    for i, fam in enumerate(with_members):
        rows = [row_of.get(m.id, -1) for m in fam.members]
        if min(rows) < 0:
            continue  # a member without any score: the family has no destination
        out[i] = table[rows].mean(axis=0)  # NaN wherever a member lacks a score
    return ScoreTable(tuple(f.id for f in with_members), tuple(codes.tolist()), out)


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
        by_family = read_members(members)
        unknown = sorted(set(by_family) - {f.id for f in fams})
        if unknown:
            raise InputError(msg("match_members_unknown_families", where=str(members),
                                 families=", ".join(unknown[:10])))
        fams = tuple(dataclasses.replace(f, members=tuple(by_family.get(f.id, ()))) for f in fams)
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
