"""CSV readers and writers for ``fairshare simulate`` and ``fairshare synth arrivals``.

- families.csv: the ``match`` columns plus ``arrived_on`` (YYYY-MM-DD, required here);
- destinations.csv: ``code,capacity`` (capacity for the whole horizon) and the optional
  ``max,services`` of ``match`` (``min`` and ``housing`` are per batch and refused here);
- scores.csv: as for ``match``;
- periods.csv (optional): ``code,start,end,capacity`` sub-quotas;
- targets.csv (optional): ``code,target`` (annual targets in persons, e.g. fair shares);
- plan.csv (written): ``family_id,destination,decided_on``.

Every error names the file, the row and the column. Files are read whole before anything is
written, and a plan is written to a temporary file renamed into place: nothing is left half
written.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from fairshare.arrivals.stream import Period, Stream, check_periods
from fairshare.errors import InputError, at
from fairshare.i18n import Message, Text, msg
from fairshare.matching import Problem
from fairshare.matching.io import (
    FAMILY_COLUMNS,
    read_destinations,
    read_families,
    read_scores,
    write_problem,
)
from fairshare.privatefs import private_dir

PERIOD_COLUMNS = ("code", "start", "end", "capacity")
TARGET_COLUMNS = ("code", "target")
PLAN_COLUMNS = ("family_id", "destination", "decided_on")


def _table(path: Path, required: tuple[str, ...]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a small CSV file, or an InputError naming the file."""
    if not path.is_file():
        raise InputError(msg("file_no_such_file", where=str(path)))
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError as exc:
        raise InputError(msg("file_not_utf8_reason", where=str(path), reason=exc.reason,
                             byte=exc.start)) from exc
    except csv.Error as exc:
        raise InputError(msg("file_not_readable_csv", where=str(path), problem=str(exc))) from exc
    if not rows:
        raise InputError(msg("file_empty_header_needs", where=str(path),
                             required=", ".join(required)))
    header = [h.strip() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(msg("file_missing_columns_needs", where=str(path),
                             missing=", ".join(missing), required=", ".join(required)))
    return header, rows[1:]


def _date(path: Path, n: int, col: str, raw: str) -> dt.date:
    text = raw.strip()
    if not text:
        raise InputError(msg("cell_date_empty", where=at(path, n, col)))
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else _bad_date(path, n, col, text)
    except ValueError:
        return _bad_date(path, n, col, text)


def _bad_date(path: Path, n: int, col: str, text: str) -> dt.date:
    raise InputError(msg("cell_not_date", where=at(path, n, col), raw=text))


def _as_read_from(text: Text, copy: str, path: str) -> Text:
    """``text`` (an error of the match reader about the copy without ``arrived_on``) as said of
    the user's file: its path instead of the copy's, ``arrived_on`` among the allowed columns."""
    if isinstance(text, str):
        return text.replace(copy, path)
    if not isinstance(text, Message):
        return text
    values = {k: _as_read_from(v, copy, path) if isinstance(v, str | Message) else v
              for k, v in text.values.items()}
    if text.msgid == "file_unknown_columns":
        values["allowed"] = f"arrived_on, {values['allowed']}"
    return Message(text.msgid, values)


def read_arrivals(path: Path) -> tuple[Problem, dict[str, dt.date]]:
    """Families (as for ``match``) and their ``arrived_on`` dates from families.csv."""
    header, rows = _table(path, ("family_id", "arrived_on"))
    day_col = header.index("arrived_on")
    fid = header.index("family_id")
    arrived: dict[str, dt.date] = {}
    for n, row in enumerate(rows, start=2):
        if len(row) > len(header):
            raise InputError(msg("file_more_cells_than_columns", where=at(path, n)))
        cells = row + [""] * (len(header) - len(row))
        arrived[cells[fid].strip()] = _date(path, n, "arrived_on", cells[day_col])
    # the other columns follow the match contract exactly: let its reader check them
    with tempfile.TemporaryDirectory(prefix="fairshare-arrivals-") as tmp:
        copy = Path(tmp) / path.name
        with copy.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow([h for i, h in enumerate(header) if i != day_col])
            for row in rows:
                w.writerow([c for i, c in enumerate(row) if i != day_col])
        try:
            families = read_families(copy)
        except InputError as exc:
            raise InputError(_as_read_from(exc.source, str(copy), str(path))) from None
    return Problem(families=families, destinations=(), scores={}), arrived


def read_periods(path: Path) -> tuple[list[Period], dict[int, int]]:
    """Sub-quotas from periods.csv and, per period, its file row (for later errors)."""
    header, rows = _table(path, PERIOD_COLUMNS)
    unknown = [h for h in header if h not in PERIOD_COLUMNS]
    if unknown:
        raise InputError(msg("file_unknown_columns_allowed", where=str(path),
                             unknown=", ".join(unknown), allowed=", ".join(PERIOD_COLUMNS)))
    idx = {c: header.index(c) for c in PERIOD_COLUMNS}
    out: list[Period] = []
    where: dict[int, int] = {}
    for n, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        cells = row + [""] * (len(header) - len(row))
        raw = cells[idx["capacity"]].strip()
        try:
            cap = int(raw)
        except ValueError:
            raise InputError(msg("cell_not_whole", where=at(path, n, "capacity"),
                                 raw=raw)) from None
        where[len(out)] = n
        out.append(Period(code=cells[idx["code"]].strip(),
                          start=_date(path, n, "start", cells[idx["start"]]),
                          end=_date(path, n, "end", cells[idx["end"]]), capacity=cap))
    return out, where


def read_targets(path: Path, codes: set[str]) -> dict[str, float]:
    """Annual targets (persons) per destination from targets.csv (``code,target``)."""
    header, rows = _table(path, TARGET_COLUMNS)
    ci, ti = header.index("code"), header.index("target")
    out: dict[str, float] = {}
    for n, row in enumerate(rows, start=2):
        cells = row + [""] * (len(header) - len(row))
        code = cells[ci].strip()
        if code not in codes:
            raise InputError(msg("cell_not_destination", where=at(path, n, "code"), code=code,
                                 codes=", ".join(sorted(codes))))
        try:
            value = float(cells[ti])
        except ValueError:
            raise InputError(msg("cell_not_number", where=at(path, n, "target"),
                                 raw=cells[ti])) from None
        if value < 0:
            raise InputError(msg("cell_below", where=at(path, n, "target"), value=value,
                                 minimum=0))
        out[code] = value
    return out


def read_stream(families: Path, destinations: Path, scores: Path,
                periods: Path | None = None, *, carry_forward: bool = False) -> Stream:
    """A stream from the contract files (see the module docstring)."""
    base, arrived = read_arrivals(families)
    dests = read_destinations(destinations)
    for n, d in enumerate(dests, start=2):
        for col, present in (("min", d.min_intake is not None),
                             ("housing", d.housing_units is not None)):
            if present:
                raise InputError(msg("arrivals_whole_horizon", where=at(destinations, n, col)))
    score_table = read_scores(scores)
    subquotas: list[Period] = []
    if periods is not None:
        subquotas, rows = read_periods(periods)
        check_periods(tuple(subquotas), {d.code: d.limit for d in dests}, source=str(periods),
                      rows=rows)
    problem = Problem(families=base.families, destinations=dests, scores=score_table,
                      name=families.stem)
    return Stream(problem=problem, arrived_on=arrived, periods=tuple(subquotas),
                  carry_forward=carry_forward, name=families.parent.name or families.stem)


def _atomic_write(path: Path, header: tuple[str, ...], rows: list[list[str]], *,
                  escape: bool = True) -> None:
    from fairshare.csvsafe import escape_csv_cell

    private_dir(path.parent)
    # mkstemp creates the file 0600 whatever the umask.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for row in rows:
                w.writerow([escape_csv_cell(c) for c in row] if escape else row)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_plan(path: Path, assignment: Mapping[str, str | None],
               decided_on: Mapping[str, dt.date]) -> None:
    """Write ``family_id,destination,decided_on`` rows sorted by family id."""
    _atomic_write(path, PLAN_COLUMNS, [[fid, assignment[fid] or "",
                                        decided_on[fid].isoformat()]
                                       for fid in sorted(assignment)])


def write_stream(folder: Path, stream: Stream) -> None:
    """Write families.csv (with arrived_on), destinations.csv, scores.csv and periods.csv."""
    write_problem(folder, stream.problem)
    fam_path = folder / "families.csv"
    with fam_path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == FAMILY_COLUMNS  # nosec B101 # type narrowing / internal invariant
    _atomic_write(fam_path, (*FAMILY_COLUMNS, "arrived_on"),
                  [[*r, stream.arrived_on[r[0]].isoformat()] for r in rows[1:]], escape=False)
    if stream.periods:
        _atomic_write(folder / "periods.csv", PERIOD_COLUMNS,
                      [[p.code, p.start.isoformat(), p.end.isoformat(), str(p.capacity)]
                       for p in sorted(stream.periods, key=lambda p: (p.code, p.start))])
