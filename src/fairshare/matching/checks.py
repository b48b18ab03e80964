"""Checks before solving (the problem is well formed) and after (the plan obeys every rule).

Each ``check_*`` function collects *every* offender; :func:`check_problem` raises one
:class:`~fairshare.errors.MatchingError` listing them all.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np

from fairshare.errors import MatchingError
from fairshare.matching.problem import Problem, ScoreTable, band_bounds


def check_unique_ids(problem: Problem) -> list[str]:
    """Duplicate family, member or destination ids."""
    out: list[str] = []
    for kind, ids in (("family", [f.id for f in problem.families]),
                      ("destination", [d.code for d in problem.destinations]),
                      ("member", [m.id for f in problem.families for m in f.members])):
        out += [f"duplicate {kind} id {i!r} ({n} times)"
                for i, n in sorted(Counter(ids).items()) if n > 1]
    out += [f"family id is empty (row {k + 1})" for k, f in enumerate(problem.families) if not f.id]
    return out


def check_families(problem: Problem) -> list[str]:
    """Families without members, members that do not match their family, unknown destinations."""
    codes = {d.code for d in problem.destinations}
    out: list[str] = []
    for f in problem.families:
        if f.size < 1:
            out.append(f"family {f.id!r} has no members (size {f.size})")
        if f.members and len(f.members) != f.size:
            out.append(f"family {f.id!r} has size {f.size} but {len(f.members)} members listed")
        out += [f"member {m.id!r} is listed in family {f.id!r} but names family {m.family_id!r}"
                for m in f.members if m.family_id != f.id]
        for what, values in (("excluded", f.excluded), ("preferences", f.preferences),
                             ("ties", f.ties)):
            if not codes.issuperset(values):
                out += [f"family {f.id!r}: unknown destination {v!r} in {what}"
                        for v in sorted(set(values)) if v not in codes]
        if len(set(f.preferences)) < len(f.preferences):
            dup = [p for p, n in Counter(f.preferences).items() if n > 1]
            out += [f"family {f.id!r}: destination {p!r} ranked twice in preferences"
                    for p in dup]
    return out


def check_destinations(problem: Problem) -> list[str]:
    """Negative capacities, minimum above maximum, malformed or overlapping housing bands."""
    out: list[str] = []
    for d in problem.destinations:
        if not d.code:
            out.append("a destination has an empty code")
        if d.capacity < 0:
            out.append(f"destination {d.code!r} has negative capacity {d.capacity}")
        if d.min_intake is not None and d.min_intake < 0:
            out.append(f"destination {d.code!r} has negative min {d.min_intake}")
        if d.max_intake is not None and d.max_intake < 0:
            out.append(f"destination {d.code!r} has negative max {d.max_intake}")
        if d.min_intake is not None and d.min_intake > d.limit:
            out.append(f"destination {d.code!r}: min {d.min_intake} is above its limit {d.limit}")
        if d.housing_units is not None:
            seen: list[tuple[int, int, str]] = []
            for band, units in sorted(d.housing_units.items()):
                try:
                    lo, hi = band_bounds(band)
                except MatchingError as exc:
                    out.append(f"destination {d.code!r}: {exc.message}")
                    continue
                if units < 0:
                    out.append(f"destination {d.code!r}: negative housing units in band {band!r}")
                out += [f"destination {d.code!r}: housing bands {b!r} and {band!r} overlap"
                        for lo2, hi2, b in seen if lo <= hi2 and lo2 <= hi]
                seen.append((lo, hi, band))
    return out


def _unit_floats(values: Iterable[object]) -> bool:
    """True when every value is a float in [0, 1] (False for NaN, ints and anything else)."""
    return all(v.__class__ is float and 0.0 <= v <= 1.0 for v in values)


def _check_table(problem: Problem, table: ScoreTable) -> list[str]:
    """:func:`check_scores` over a columnar table, vectorised."""
    fams = {f.id for f in problem.families}
    codes = {d.code for d in problem.destinations}
    out = [f"scores name unknown family {fid!r}" for fid in table.family_ids if fid not in fams]
    given = ~np.isnan(table.array)
    for j, code in enumerate(table.codes):
        if code not in codes:
            rows = np.flatnonzero(given[:, j])
            out += [f"scores of family {table.family_ids[i]!r} name unknown destination "
                    f"{code!r}" for i in rows.tolist()]
    with np.errstate(invalid="ignore"):
        bad = given & ((table.array < 0) | (table.array > 1))
    for i, j in zip(*np.nonzero(bad), strict=True):
        out.append(f"score of family {table.family_ids[i]!r} at {table.codes[j]!r} is "
                   f"{float(table.array[i, j])!r}, outside [0, 1]")
    return out


def check_scores(problem: Problem) -> list[str]:
    """Scores outside [0, 1], for unknown families or unknown destinations."""
    if isinstance(problem.scores, ScoreTable):
        return _check_table(problem, problem.scores)
    fams = {f.id for f in problem.families}
    codes = {d.code for d in problem.destinations}
    out: list[str] = []
    for fid in sorted(problem.scores):
        if fid not in fams:
            out.append(f"scores name unknown family {fid!r}")
            continue
        row = problem.scores[fid]
        if codes.issuperset(row) and _unit_floats(row.values()):
            continue  # the common case, without sorting or formatting
        for code, value in sorted(row.items()):
            if code not in codes:
                out.append(f"scores of family {fid!r} name unknown destination {code!r}")
            elif not isinstance(value, int | float) or math.isnan(value) or not 0 <= value <= 1:
                out.append(f"score of family {fid!r} at {code!r} is {value!r}, outside [0, 1]")
    return out


def check_problem(problem: Problem) -> None:
    """Raise one MatchingError listing every offender, or return None when the problem is sound."""
    offenders = (check_unique_ids(problem) + check_families(problem)
                 + check_destinations(problem) + check_scores(problem))
    if offenders:
        raise MatchingError(
            f"The matching problem has {len(offenders)} problem(s); fix the input and retry:",
            details=offenders)


def check_placeable(problem: Problem) -> list[str]:
    """Consenting families no destination can take, each with the reason at every destination.

    This is not an input error: such a family stays unplaced and the diagnosis names it.
    """
    from fairshare.matching.model import pair_reason

    out: list[str] = []
    for f in sorted(problem.families, key=lambda f: f.id):
        if not f.consent:
            continue
        reasons = {d.code: pair_reason(problem, f, d) for d in problem.destinations}
        if all(r is not None for r in reasons.values()):
            why = Counter(str(r).split(":")[0] for r in reasons.values())
            out.append(f"family {f.id!r} (size {f.size}) can go nowhere: "
                       + ", ".join(f"{k} at {n}" for k, n in sorted(why.items())))
    return out


def unscored(scores: Mapping[str, Mapping[str, float]],
             placements: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (family id, destination) ``placements`` that ``scores`` gives no score (a columnar
    table is read in place, all pairs at once)."""
    if not isinstance(scores, ScoreTable):
        return {(fid, code) for fid, code in placements if code not in scores.get(fid, {})}
    if not placements:
        return set()
    rows = np.asarray([scores.row_index.get(fid, -1) for fid, _ in placements], dtype=np.int64)
    cols = np.asarray([scores.code_index.get(code, -1) for _, code in placements],
                      dtype=np.int64)
    known = (rows >= 0) & (cols >= 0)
    given = np.zeros(len(placements), dtype=bool)
    given[known] = ~np.isnan(scores.array[rows[known], cols[known]])
    return {placements[k] for k in np.flatnonzero(~given).tolist()}


def check_plan(problem: Problem, assignment: Mapping[str, str | None]) -> list[str]:
    """Every violation of a hard constraint by ``assignment`` (family id -> code or None).

    Checked: every family listed once and only known families, known destinations, consent,
    exclusions, required services, a score for the pair, capacity (persons, limit, housing
    units by band), minimum intake. Families are whole by construction (one destination each).
    """
    out: list[str] = []
    fams = {f.id: f for f in problem.families}
    dests = {d.code: d for d in problem.destinations}
    out += [f"plan names unknown family {fid!r}" for fid in sorted(set(assignment) - set(fams))]
    out += [f"family {fid!r} is missing from the plan" for fid in sorted(set(fams) - set(assignment))]
    load: Counter[str] = Counter()
    units: Counter[tuple[str, str]] = Counter()
    band_of: dict[tuple[str, int], str | None] = {}  # (destination, size) -> housing band
    placed = [(fid, code) for fid in sorted(set(assignment) & set(fams))
              if (code := assignment[fid]) is not None]
    no_score = unscored(problem.scores, [(fid, code) for fid, code in placed if code in dests])
    for fid, code in placed:
        f = fams[fid]
        if code not in dests:
            out.append(f"family {fid!r} placed at unknown destination {code!r}")
            continue
        d = dests[code]
        if not f.consent:
            out.append(f"family {fid!r} did not consent but is placed at {code}")
        if code in f.excluded:
            out.append(f"family {fid!r} is placed at {code}, which is excluded")
        if f.services and not f.services <= d.services:
            missing = sorted(f.services - d.services)
            out.append(f"family {fid!r} needs {', '.join(missing)}, not offered at {code}")
        if (fid, code) in no_score:
            out.append(f"family {fid!r} placed at {code}, which has no score for it")
        load[code] += f.size
        if d.housing_units is not None:
            if (code, f.size) not in band_of:
                band_of[(code, f.size)] = next(
                    (b for b in d.housing_units
                     if band_bounds(b)[0] <= f.size <= band_bounds(b)[1]), None)
            band = band_of[(code, f.size)]
            if band is None:
                out.append(f"family {fid!r} (size {f.size}) has no housing band at {code}")
            else:
                units[(code, band)] += 1
    for code, d in sorted(dests.items()):
        if load[code] > d.limit:
            out.append(f"{code} receives {load[code]} persons, above its limit {d.limit}")
        if d.min_intake is not None and load[code] < d.min_intake:
            out.append(f"{code} receives {load[code]} persons, below its minimum {d.min_intake}")
        for band, n in sorted((d.housing_units or {}).items()):
            if units[(code, band)] > n:
                out.append(f"{code} uses {units[(code, band)]} housing units of band {band}, "
                           f"above the {n} offered")
    return out
