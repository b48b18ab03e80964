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
import math
from collections.abc import Iterator, Mapping
from pathlib import Path

from fairshare.csvsafe import escape_csv_cell
from fairshare.errors import InputError
from fairshare.matching.problem import (
    Destination,
    Family,
    Member,
    Problem,
    family_scores_from_members,
)

FAMILY_COLUMNS = ("family_id", "size", "consent", "current", "excluded", "preferences",
                  "services", "ties")
DESTINATION_COLUMNS = ("code", "capacity", "min", "max", "services", "housing", "shortfall")
SCORE_COLUMNS = ("family_id", "destination", "score")
MEMBER_SCORE_COLUMNS = ("member_id", "destination", "score")
MEMBER_COLUMNS = ("member_id", "family_id", "birth_year", "sex", "languages", "education",
                  "work_experience_years")
TRUE = frozenset({"true", "yes", "1", "y", "t"})
FALSE = frozenset({"false", "no", "0", "n", "f"})


def _rows(path: Path, required: tuple[str, ...], allowed: tuple[str, ...]
          ) -> Iterator[tuple[int, dict[str, str]]]:
    if not path.is_file():
        raise InputError(f"{path}: no such file.")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in required if c not in header]
            if missing:
                raise InputError(f"{path}: missing column(s) {', '.join(missing)}; the file "
                                 f"needs at least {', '.join(required)}.")
            unknown = [c for c in header if c not in allowed]
            if unknown:
                raise InputError(f"{path}: unknown column(s) {', '.join(unknown)}; allowed: "
                                 f"{', '.join(allowed)}. Remove them (no other data is accepted).")
            reader.fieldnames = header
            for n, row in enumerate(reader, start=2):
                if None in row:
                    raise InputError(f"{path}, row {n}: more cells than columns.")
                yield n, {k: (v or "").strip() for k, v in row.items()}
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                         "save it as UTF-8 CSV.") from exc
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc}).") from exc


def _int(path: Path, n: int, col: str, raw: str, *, minimum: int | None = None) -> int:
    try:
        value = int(raw)
    except ValueError as exc:
        raise InputError(f"{path}, row {n}, column {col}: {raw!r} is not a whole number.") from exc
    if minimum is not None and value < minimum:
        raise InputError(f"{path}, row {n}, column {col}: {value} is below {minimum}.")
    return value


def _list(raw: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in raw.split(";") if x.strip())


def read_families(path: Path) -> tuple[Family, ...]:
    """Families from a CSV file (see module docstring)."""
    out: list[Family] = []
    for n, row in _rows(path, ("family_id", "size", "consent"), FAMILY_COLUMNS):
        if not row["family_id"]:
            raise InputError(f"{path}, row {n}, column family_id: empty id.")
        consent = row["consent"].lower()
        if consent not in TRUE | FALSE:
            raise InputError(f"{path}, row {n}, column consent: {row['consent']!r} is not "
                             "true or false.")
        out.append(Family(
            id=row["family_id"], size=_int(path, n, "size", row["size"], minimum=1),
            consent=consent in TRUE, current=row.get("current") or None,
            services=frozenset(_list(row.get("services", ""))),
            excluded=frozenset(_list(row.get("excluded", ""))),
            preferences=_list(row.get("preferences", "")),
            ties=frozenset(_list(row.get("ties", "")))))
    return tuple(out)


def _housing(path: Path, n: int, raw: str) -> dict[str, int] | None:
    if not raw:
        return None
    out: dict[str, int] = {}
    for part in _list(raw):
        band, sep, units = part.partition(":")
        if not sep:
            raise InputError(f"{path}, row {n}, column housing: {part!r} is not band:units "
                             "(e.g. 1-2:40;3-4:25;5+:6).")
        out[band.strip()] = _int(path, n, "housing", units.strip(), minimum=0)
    return out


def read_destinations(path: Path) -> tuple[Destination, ...]:
    """Destinations from a CSV file (see module docstring)."""
    out: list[Destination] = []
    for n, row in _rows(path, ("code", "capacity"), DESTINATION_COLUMNS):
        if not row["code"]:
            raise InputError(f"{path}, row {n}, column code: empty code.")
        shortfall = None
        if row.get("shortfall"):
            try:
                shortfall = float(row["shortfall"])
            except ValueError as exc:
                raise InputError(f"{path}, row {n}, column shortfall: {row['shortfall']!r} is "
                                 "not a number.") from exc
        out.append(Destination(
            code=row["code"], capacity=_int(path, n, "capacity", row["capacity"], minimum=0),
            services=frozenset(_list(row.get("services", ""))),
            min_intake=_int(path, n, "min", row["min"], minimum=0) if row.get("min") else None,
            max_intake=_int(path, n, "max", row["max"], minimum=0) if row.get("max") else None,
            housing_units=_housing(path, n, row.get("housing", "")), shortfall=shortfall))
    return tuple(out)


def _score(path: Path, n: int, text: str) -> float:
    """One score cell: a number in [0, 1], or an error naming the row and column."""
    try:
        value = float(text)
    except ValueError as exc:
        raise InputError(f"{path}, row {n}, column score: {text!r} is not a number.") from exc
    if math.isnan(value) or not 0 <= value <= 1:
        raise InputError(f"{path}, row {n}, column score: {value} is outside [0, 1].")
    return value


def read_scores(path: Path) -> dict[str, dict[str, float]]:
    """Scores from a CSV file; a duplicate (family, destination) pair is an error."""
    out: dict[str, dict[str, float]] = {}
    for n, row in _rows(path, SCORE_COLUMNS, SCORE_COLUMNS):
        value = _score(path, n, row["score"])
        fam = out.setdefault(row["family_id"], {})
        if row["destination"] in fam:
            raise InputError(f"{path}, row {n}: duplicate score for family "
                             f"{row['family_id']!r} at {row['destination']!r}.")
        fam[row["destination"]] = value
    return out


def read_members(path: Path) -> dict[str, list[Member]]:
    """Members by family id (``languages`` like ``fr:B2;en:A1``)."""
    out: dict[str, list[Member]] = {}
    for n, row in _rows(path, ("member_id", "family_id"), MEMBER_COLUMNS):
        langs = []
        for part in _list(row.get("languages", "")):
            lang, _, level = part.partition(":")
            langs.append((lang.strip(), level.strip()))
        exp = row.get("work_experience_years", "")
        try:
            years = float(exp) if exp else None
        except ValueError as exc:
            raise InputError(f"{path}, row {n}, column work_experience_years: {exp!r} is not a "
                             "number.") from exc
        out.setdefault(row["family_id"], []).append(Member(
            id=row["member_id"], family_id=row["family_id"],
            birth_year=_int(path, n, "birth_year", row["birth_year"])
            if row.get("birth_year") else None,
            sex=row.get("sex") or None, languages=tuple(langs),
            education=row.get("education") or None, work_experience_years=years))
    return out


def _read_score_file(path: Path, families: tuple[Family, ...]) -> dict[str, dict[str, float]]:
    """Family scores from family-level or member-level (``member_id,...``) score files."""
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline()
    if "member_id" not in header:
        return read_scores(path)
    member_scores: dict[str, dict[str, float]] = {}
    for n, row in _rows(path, MEMBER_SCORE_COLUMNS, MEMBER_SCORE_COLUMNS):
        value = _score(path, n, row["score"])
        member_scores.setdefault(row["member_id"], {})[row["destination"]] = value
    if not any(f.members for f in families):
        raise InputError(f"{path}: member-level scores need --members (member_id,family_id).")
    return family_scores_from_members(member_scores, families)


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
            raise InputError(f"{members}: members of unknown families {', '.join(unknown[:10])}.")
        fams = tuple(dataclasses.replace(f, members=tuple(by_family.get(f.id, ()))) for f in fams)
    if scores is not None:
        return Problem(families=fams, destinations=dests, scores=_read_score_file(scores, fams),
                       name=families.stem)
    from fairshare.matching.scoring import default_scores

    problem = Problem(families=fams, destinations=dests, scores={})
    return Problem(families=fams, destinations=dests, scores=default_scores(problem),
                   name=families.stem)


def write_plan(path: Path, assignment: Mapping[str, str | None]) -> None:
    """Write ``family_id,destination`` rows sorted by family id (empty: unplaced)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
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
