"""Checks before solving (the problem is well formed) and after (the plan obeys every rule).

Each ``check_*`` function collects *every* offender, as messages of the catalogues (each
reader's language: ``str()`` gives the English); :func:`check_problem` raises one
:class:`~fairshare.errors.MatchingError` listing them all.

>>> from fairshare.matching.problem import Destination, Family
>>> p = Problem((Family("a", 2, True), Family("a", 1, True)), (Destination("NB", -1),), {})
>>> [m.render("fr") for m in check_unique_ids(p) + check_destinations(p)]
['identifiant de famille « a » en double (2 fois)', 'la destination « NB » a une capacité négative (-1)']
>>> [str(m) for m in check_unique_ids(p) + check_destinations(p)]
["duplicate family id 'a' (2 times)", "destination 'NB' has negative capacity -1"]
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np

from fairshare.errors import MatchingError
from fairshare.i18n import N_, Message, Num, Text, msg
from fairshare.matching.problem import Family, Problem, ScoreTable, band_bounds

# A duplicate id, by what it identifies.
DUPLICATE = {"family": N_("match_check_duplicate_family"),
             "destination": N_("match_check_duplicate_destination"),
             "member": N_("match_check_duplicate_member")}
# Why a family cannot go to a destination (model.pair_reason's code before any ':').
NOWHERE = {"excluded": N_("match_nowhere_excluded"), "no-consent": N_("match_nowhere_no-consent"),
           "service": N_("match_nowhere_service"), "no-score": N_("match_nowhere_no-score"),
           "too-large": N_("match_nowhere_too-large"), "no-housing": N_("match_nowhere_no-housing")}


def check_unique_ids(problem: Problem) -> list[Message]:
    """Duplicate family, member or destination ids."""
    out: list[Message] = []
    for kind, ids in (("family", [f.id for f in problem.families]),
                      ("destination", [d.code for d in problem.destinations]),
                      ("member", [m.id for f in problem.families for m in f.members])):
        out += [msg(DUPLICATE[kind], id=i, n=Num(n))
                for i, n in sorted(Counter(ids).items()) if n > 1]
    out += [msg("match_check_empty_family_id", row=Num(k + 1))
            for k, f in enumerate(problem.families) if not f.id]
    return out


def check_families(problem: Problem) -> list[Message]:
    """Families without members, members that do not match their family, unknown destinations."""
    codes = {d.code for d in problem.destinations}
    out: list[Message] = []
    for f in problem.families:
        if f.size < 1:
            out.append(msg("match_check_no_members", family=f.id, size=Num(f.size)))
        if f.members and len(f.members) != f.size:
            out.append(msg("match_check_member_count", family=f.id, size=Num(f.size),
                           n=Num(len(f.members))))
        out += [msg("match_check_member_family", member=m.id, family=f.id, named=m.family_id)
                for m in f.members if m.family_id != f.id]
        for what, values in (("excluded", f.excluded), ("preferences", f.preferences),
                             ("ties", f.ties)):
            if not codes.issuperset(values):
                out += [msg("match_check_unknown_destination", family=f.id, code=v, column=what)
                        for v in sorted(set(values)) if v not in codes]
        if len(set(f.preferences)) < len(f.preferences):
            dup = [p for p, n in Counter(f.preferences).items() if n > 1]
            out += [msg("match_check_ranked_twice", family=f.id, code=p) for p in dup]
    return out


def check_destinations(problem: Problem) -> list[Message]:
    """Negative capacities, minimum above maximum, malformed or overlapping housing bands."""
    out: list[Message] = []
    for d in problem.destinations:
        if not d.code:
            out.append(msg("match_check_empty_code"))
        if d.capacity < 0:
            out.append(msg("match_check_negative_capacity", code=d.code, value=Num(d.capacity)))
        if d.min_intake is not None and d.min_intake < 0:
            out.append(msg("match_check_negative_min", code=d.code, value=Num(d.min_intake)))
        if d.max_intake is not None and d.max_intake < 0:
            out.append(msg("match_check_negative_max", code=d.code, value=Num(d.max_intake)))
        if d.min_intake is not None and d.min_intake > d.limit:
            out.append(msg("match_check_min_above_limit", code=d.code, min=Num(d.min_intake),
                           limit=Num(d.limit)))
        if d.housing_units is not None:
            seen: list[tuple[int, int, str]] = []
            for band, units in sorted(d.housing_units.items()):
                try:
                    lo, hi = band_bounds(band)
                except MatchingError as exc:
                    out.append(msg("match_check_destination_band", code=d.code,
                                   problem=exc.source))
                    continue
                if units < 0:
                    out.append(msg("match_check_negative_units", code=d.code, band=band))
                out += [msg("match_check_bands_overlap", code=d.code, first=b, second=band)
                        for lo2, hi2, b in seen if lo <= hi2 and lo2 <= hi]
                seen.append((lo, hi, band))
    return out


def _unit_floats(values: Iterable[object]) -> bool:
    """True when every value is a float in [0, 1] (False for NaN, ints and anything else)."""
    return all(v.__class__ is float and 0.0 <= v <= 1.0 for v in values)


def _score_outside(family: str, code: str, value: object) -> Message:
    return msg("match_check_score_outside", family=family, code=code, value=repr(value))


def _check_table(problem: Problem, table: ScoreTable) -> list[Message]:
    """:func:`check_scores` over a columnar table, vectorised."""
    fams = {f.id for f in problem.families}
    codes = {d.code for d in problem.destinations}
    out = [msg("match_check_scores_unknown_family", family=fid)
           for fid in table.family_ids if fid not in fams]
    given = ~np.isnan(table.array)
    for j, code in enumerate(table.codes):
        if code not in codes:
            rows = np.flatnonzero(given[:, j])
            out += [msg("match_check_scores_unknown_destination", family=table.family_ids[i],
                        code=code) for i in rows.tolist()]
    with np.errstate(invalid="ignore"):
        bad = given & ((table.array < 0) | (table.array > 1))
    for i, j in zip(*np.nonzero(bad), strict=True):
        out.append(_score_outside(table.family_ids[i], table.codes[j], float(table.array[i, j])))
    return out


def check_scores(problem: Problem) -> list[Message]:
    """Scores outside [0, 1], for unknown families or unknown destinations."""
    if isinstance(problem.scores, ScoreTable):
        return _check_table(problem, problem.scores)
    fams = {f.id for f in problem.families}
    codes = {d.code for d in problem.destinations}
    out: list[Message] = []
    for fid in sorted(problem.scores):
        if fid not in fams:
            out.append(msg("match_check_scores_unknown_family", family=fid))
            continue
        row = problem.scores[fid]
        if codes.issuperset(row) and _unit_floats(row.values()):
            continue  # the common case, without sorting or formatting
        for code, value in sorted(row.items()):
            if code not in codes:
                out.append(msg("match_check_scores_unknown_destination", family=fid, code=code))
            elif not isinstance(value, int | float) or math.isnan(value) or not 0 <= value <= 1:
                out.append(_score_outside(fid, code, value))
    return out


def check_problem(problem: Problem) -> None:
    """Raise one MatchingError listing every offender, or return None when the problem is sound."""
    offenders: list[Text] = [*check_unique_ids(problem), *check_families(problem),
                             *check_destinations(problem), *check_scores(problem)]
    if offenders:
        raise MatchingError(msg("match_check_problems", n=Num(len(offenders))), details=offenders)


def unplaceable(problem: Problem) -> list[tuple[Family, Message]]:
    """Consenting families no destination can take, each with its reasons counted over the
    destinations (``excluded at 2, too-large at 11``), by family id."""
    from fairshare.matching.model import pair_reason

    out: list[tuple[Family, Message]] = []
    for f in sorted(problem.families, key=lambda f: f.id):
        if not f.consent:
            continue
        reasons = {d.code: pair_reason(problem, f, d) for d in problem.destinations}
        if all(r is not None for r in reasons.values()):
            why = Counter(str(r).split(":")[0] for r in reasons.values())
            counted = [msg("match_nowhere_at", reason=_reason(k), n=Num(n))
                       for k, n in sorted(why.items())]
            listed = counted[0]
            for more in counted[1:]:
                listed = msg("match_list_more", first=listed, more=more)
            out.append((f, listed))
    return out


def _reason(code: str) -> Message | str:
    return msg(NOWHERE[code]) if code in NOWHERE else code


def check_placeable(problem: Problem) -> list[Message]:
    """Consenting families no destination can take, each with the reason at every destination.

    This is not an input error: such a family stays unplaced and the diagnosis names it.
    """
    return [msg("match_check_nowhere", family=f.id, size=Num(f.size), reasons=reasons)
            for f, reasons in unplaceable(problem)]


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


def check_plan(problem: Problem, assignment: Mapping[str, str | None]) -> list[Message]:
    """Every violation of a hard constraint by ``assignment`` (family id -> code or None).

    Checked: every family listed once and only known families, known destinations, consent,
    exclusions, required services, a score for the pair, capacity (persons, limit, housing
    units by band), minimum intake. Families are whole by construction (one destination each).
    """
    out: list[Message] = []
    fams = {f.id: f for f in problem.families}
    dests = {d.code: d for d in problem.destinations}
    out += [msg("match_plan_unknown_family", family=fid)
            for fid in sorted(set(assignment) - set(fams))]
    out += [msg("match_plan_missing_family", family=fid)
            for fid in sorted(set(fams) - set(assignment))]
    load: Counter[str] = Counter()
    units: Counter[tuple[str, str]] = Counter()
    band_of: dict[tuple[str, int], str | None] = {}  # (destination, size) -> housing band
    placed = [(fid, code) for fid in sorted(set(assignment) & set(fams))
              if (code := assignment[fid]) is not None]
    no_score = unscored(problem.scores, [(fid, code) for fid, code in placed if code in dests])
    for fid, code in placed:
        f = fams[fid]
        if code not in dests:
            out.append(msg("match_plan_unknown_destination", family=fid, code=code))
            continue
        d = dests[code]
        if not f.consent:
            out.append(msg("match_plan_no_consent", family=fid, code=code))
        if code in f.excluded:
            out.append(msg("match_plan_excluded", family=fid, code=code))
        if f.services and not f.services <= d.services:
            missing = sorted(f.services - d.services)
            out.append(msg("match_plan_services", family=fid, services=", ".join(missing),
                           code=code))
        if (fid, code) in no_score:
            out.append(msg("match_plan_no_score", family=fid, code=code))
        load[code] += f.size
        if d.housing_units is not None:
            if (code, f.size) not in band_of:
                band_of[(code, f.size)] = next(
                    (b for b in d.housing_units
                     if band_bounds(b)[0] <= f.size <= band_bounds(b)[1]), None)
            band = band_of[(code, f.size)]
            if band is None:
                out.append(msg("match_plan_no_band", family=fid, size=Num(f.size), code=code))
            else:
                units[(code, band)] += 1
    for code, d in sorted(dests.items()):
        if load[code] > d.limit:
            out.append(msg("match_plan_above_limit", code=code, persons=Num(load[code]),
                           limit=Num(d.limit)))
        if d.min_intake is not None and load[code] < d.min_intake:
            out.append(msg("match_plan_below_minimum", code=code, persons=Num(load[code]),
                           min=Num(d.min_intake)))
        for band, n in sorted((d.housing_units or {}).items()):
            if units[(code, band)] > n:
                out.append(msg("match_plan_above_units", code=code, used=Num(units[(code, band)]),
                               band=band, offered=Num(n)))
    return out
