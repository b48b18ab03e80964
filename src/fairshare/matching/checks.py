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
from fairshare.matching.problem import Destination, Family, Problem, ScoreTable, band_bounds

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
    table = problem.family_table
    out: list[Message] = []
    for kind, ids in (("family", table.ids),
                      ("destination", [d.code for d in problem.destinations]),
                      ("member", table.people.ids)):
        if len(set(ids)) < len(ids):
            out += [msg(DUPLICATE[kind], id=i, n=Num(n))
                    for i, n in sorted(Counter(ids).items()) if n > 1]
    out += [msg("match_check_empty_family_id", row=Num(k + 1))
            for k, fid in enumerate(table.ids) if not fid]
    return out


def check_families(problem: Problem) -> list[Message]:
    """Families without members, members that do not match their family, unknown destinations."""
    codes = {d.code for d in problem.destinations}
    table = problem.family_table
    counts, people = table.member_counts, table.people
    owner = np.repeat(np.arange(len(table)), counts)
    named_other = np.fromiter((named != table.ids[k] for named, k in zip(
        people.family_ids, owner.tolist(), strict=True)), bool, len(people))
    # only these families can break a rule here: a size below 1, members that do not match,
    # or a list of destinations to check
    by_members = (table.sizes < 1) | ((counts > 0) & (counts != table.sizes))
    by_members[owner[named_other]] = True
    look = by_members | np.asarray([bool(e or p or t) for e, p, t in zip(
        table.excluded, table.preferences, table.ties, strict=True)], dtype=bool)
    out: list[Message] = []
    for i in np.flatnonzero(look).tolist():
        fid, size, ranked = table.ids[i], int(table.sizes[i]), table.preferences[i]
        members = table.family_members(i) if by_members[i] else ()
        if size < 1:
            out.append(msg("match_check_no_members", family=fid, size=Num(size)))
        if members and len(members) != size:
            out.append(msg("match_check_member_count", family=fid, size=Num(size),
                           n=Num(len(members))))
        out += [msg("match_check_member_family", member=m.id, family=fid, named=m.family_id)
                for m in members if m.family_id != fid]
        for what, values in (("excluded", table.excluded[i]), ("preferences", ranked),
                             ("ties", table.ties[i])):
            if not codes.issuperset(values):
                out += [msg("match_check_unknown_destination", family=fid, code=v, column=what)
                        for v in sorted(set(values)) if v not in codes]
        if len(set(ranked)) < len(ranked):
            dup = [p for p, n in Counter(ranked).items() if n > 1]
            out += [msg("match_check_ranked_twice", family=fid, code=p) for p in dup]
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
    fams = problem.family_table.row_of
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
    fams = problem.family_table.row_of
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
    The rules run over the family table's columns at once; only the families that break one
    are looked at one by one, for their messages.
    """
    table = problem.family_table
    dests = {d.code: d for d in problem.destinations}
    row_of = table.row_of
    out = [msg("match_plan_unknown_family", family=fid)
           for fid in sorted(assignment.keys() - row_of.keys())]
    out += [msg("match_plan_missing_family", family=fid)
            for fid in sorted(row_of.keys() - assignment.keys())]
    placed = [(fid, code) for fid in sorted(assignment.keys() & row_of.keys())
              if (code := assignment[fid]) is not None]
    codes = list(dests)
    col = {c: j for j, c in enumerate(codes)}
    rows = np.fromiter((row_of[fid] for fid, _ in placed), np.int64, len(placed))
    cols = np.fromiter((col.get(code, -1) for _, code in placed), np.int64, len(placed))
    sizes = table.sizes[rows]
    known = cols >= 0
    no_score = unscored(problem.scores, [p for p, k in zip(placed, known.tolist(), strict=True)
                                         if k])
    suspect = ~known | ~table.consent[rows]
    excluded = table.excluded
    suspect |= np.fromiter((code in excluded[r] for r, (_, code) in zip(rows.tolist(), placed,
                                                                        strict=True)),
                           bool, len(placed))
    kinds: dict[frozenset[str], int] = {}  # each distinct set of needed services, numbered
    kind = np.fromiter((kinds.setdefault(v, len(kinds)) for v in table.services), np.int64,
                       len(table))
    offered = np.asarray([[need <= d.services for d in dests.values()] for need in kinds],
                         dtype=bool).reshape(len(kinds), len(codes))
    if placed and codes:
        suspect |= known & ~offered[kind[rows], np.maximum(cols, 0)]
    if no_score:
        suspect |= np.asarray([p in no_score for p in placed], dtype=bool)
    # housing: the band of each placed family's size at its destination (None: no band)
    band_of: dict[tuple[int, int], str | None] = {}
    units: Counter[tuple[str, str]] = Counter()
    for j, d in enumerate(dests.values()):
        if d.housing_units is None:
            continue
        at_j = cols == j
        for size, n in zip(*np.unique(sizes[at_j], return_counts=True), strict=True):
            band = d.band_for(int(size))
            band_of[(j, int(size))] = band
            if band is None:
                suspect |= at_j & (sizes == size)
            else:
                units[(d.code, band)] += int(n)
    for k in np.flatnonzero(suspect).tolist():
        fid, code = placed[k]
        j = int(cols[k])
        out += _family_breaks(table.rules_of(int(rows[k])), code, dests.get(code),
                              (fid, code) in no_score,
                              band_of.get((j, int(sizes[k])), "") if j >= 0 else "")
    load = np.bincount(cols[known], weights=sizes[known], minlength=len(codes))
    for code, d in sorted(dests.items()):
        persons = round(load[col[code]])
        if persons > d.limit:
            out.append(msg("match_plan_above_limit", code=code, persons=Num(persons),
                           limit=Num(d.limit)))
        if d.min_intake is not None and persons < d.min_intake:
            out.append(msg("match_plan_below_minimum", code=code, persons=Num(persons),
                           min=Num(d.min_intake)))
        for band, n in sorted((d.housing_units or {}).items()):
            if units[(code, band)] > n:
                out.append(msg("match_plan_above_units", code=code, used=Num(units[(code, band)]),
                               band=band, offered=Num(n)))
    return out


def _family_breaks(f: Family, code: str, d: Destination | None, no_score: bool,
                   band: str | None) -> list[Message]:
    """The rules family ``f`` placed at ``code`` breaks (``band``: its housing band there,
    None when the destination has no band for its size, "" when it limits no housing)."""
    if d is None:
        return [msg("match_plan_unknown_destination", family=f.id, code=code)]
    out: list[Message] = []
    if not f.consent:
        out.append(msg("match_plan_no_consent", family=f.id, code=code))
    if code in f.excluded:
        out.append(msg("match_plan_excluded", family=f.id, code=code))
    if f.services and not f.services <= d.services:
        missing = sorted(f.services - d.services)
        out.append(msg("match_plan_services", family=f.id, services=", ".join(missing),
                       code=code))
    if no_score:
        out.append(msg("match_plan_no_score", family=f.id, code=code))
    if band is None:
        out.append(msg("match_plan_no_band", family=f.id, size=Num(f.size), code=code))
    return out
