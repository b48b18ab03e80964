"""Name the conflicts when families stay unplaced or no plan exists.

Each sentence compares a need with what is offered, e.g. "French-language services needed by
340 persons, offered for 120".
"""

from __future__ import annotations

from collections import defaultdict

from fairshare import i18n
from fairshare.i18n import Message, Num, msg
from fairshare.matching.checks import unplaceable
from fairshare.matching.problem import Problem, band_bounds

# Service codes with a name in the catalogues (msgid service_ + code).
SERVICE_CODES = ("french", "english", "health", "health-specialised", "accessible")


def service_label(code: str, lang: str = "en") -> str:
    """Human name of a service code, in English or French.

    >>> service_label("french")
    'French-language services'
    """
    if code in SERVICE_CODES:
        service = "service_" + code
        return i18n.gettext(service, lang)
    return i18n.gettext("service_other", lang, code=code)


def _capitalised(code: str) -> i18n.Localised:
    """A service's name opening a sentence, in each language."""
    en, fr = service_label(code, "en"), service_label(code, "fr")
    return i18n.Localised(en[:1].upper() + en[1:], fr[:1].upper() + fr[1:])


def diagnose(problem: Problem) -> list[Message]:
    """Sentences naming every capacity conflict found by counting needs against offers (messages
    of the catalogues: ``str()`` gives the English, ``render("fr")`` the French).

    >>> from fairshare.matching.problem import Destination, Family
    >>> p = Problem((Family("a", 4, True, services=frozenset({"french"})),),
    ...             (Destination("QC", 2, services=frozenset({"french"})),), {"a": {"QC": 0.5}})
    >>> for m in diagnose(p)[:2]:
    ...     print(m)
    French-language services needed by 4 persons, offered for 2.
    4 consenting persons, but destinations offer 2 places.
    >>> diagnose(p)[0].render("fr")
    "Services en français : 4 personnes en ont besoin, l'offre en couvre 2."
    """
    out: list[Message] = []
    consenting = [f for f in problem.families if f.consent]
    dests = problem.destinations
    services = sorted({s for f in consenting for s in f.services})
    for s in services:
        need = sum(f.size for f in consenting if s in f.services)
        offer = sum(d.limit for d in dests if s in d.services)
        if need > offer:
            out.append(msg("match_diag_service", service=_capitalised(s), need=Num(need),
                           offer=Num(offer)))
    total = sum(f.size for f in consenting)
    capacity = sum(d.limit for d in dests)
    if total > capacity:
        out.append(msg("match_diag_capacity", total=Num(total), capacity=Num(capacity)))
    floors = sum(d.min_intake or 0 for d in dests)
    if floors > total:
        out.append(msg("match_diag_floors", floors=Num(floors), total=Num(total)))
    for d in dests:
        if d.min_intake:
            could = sum(f.size for f in consenting
                        if d.code not in f.excluded and f.services <= d.services
                        and d.code in problem.scores.get(f.id, {}))
            if could < d.min_intake:
                out.append(msg("match_diag_floor", code=d.code, min=Num(d.min_intake),
                               could=Num(could)))
    need_band: dict[str, int] = defaultdict(int)
    offer_band: dict[str, int] = defaultdict(int)
    for d in dests:
        for band, units in (d.housing_units or {}).items():
            offer_band[band] += units
    if offer_band and all(d.housing_units is not None for d in dests):
        for band in sorted(offer_band):
            lo, hi = band_bounds(band)
            need_band[band] = sum(1 for f in consenting if lo <= f.size <= hi)
            if need_band[band] > offer_band[band]:
                out.append(msg("match_diag_housing", band=band, need=Num(need_band[band]),
                               offer=Num(offer_band[band])))
    out += [msg("match_diag_nowhere", family=f.id, size=Num(f.size), reasons=reasons)
            for f, reasons in unplaceable(problem)]
    return out


def no_single_count() -> Message:
    """The diagnosis of an infeasible batch that no count above explains."""
    return msg("match_diag_no_single_count")
