"""Name the conflicts when families stay unplaced or no plan exists.

Each sentence compares a need with what is offered, e.g. "French-language services needed by
340 persons, offered for 120".
"""

from __future__ import annotations

from collections import defaultdict

from fairshare import i18n
from fairshare.matching.checks import check_placeable
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


def diagnose(problem: Problem) -> list[str]:
    """Sentences naming every capacity conflict found by counting needs against offers."""
    out: list[str] = []
    consenting = [f for f in problem.families if f.consent]
    dests = problem.destinations
    services = sorted({s for f in consenting for s in f.services})
    for s in services:
        need = sum(f.size for f in consenting if s in f.services)
        offer = sum(d.limit for d in dests if s in d.services)
        if need > offer:
            out.append(f"{service_label(s)[:1].upper()}{service_label(s)[1:]} needed by {need} "
                       f"persons, offered for {offer}.")
    total = sum(f.size for f in consenting)
    capacity = sum(d.limit for d in dests)
    if total > capacity:
        out.append(f"{total} consenting persons, but destinations offer {capacity} places.")
    floors = sum(d.min_intake or 0 for d in dests)
    if floors > total:
        out.append(f"Minimum intakes add up to {floors} persons, but only {total} persons "
                   "consent to move.")
    for d in dests:
        if d.min_intake:
            could = sum(f.size for f in consenting
                        if d.code not in f.excluded and f.services <= d.services
                        and d.code in problem.scores.get(f.id, {}))
            if could < d.min_intake:
                out.append(f"{d.code} must receive at least {d.min_intake} persons, but only "
                           f"{could} consenting persons can go there.")
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
                out.append(f"Housing for families of size {band} needed by {need_band[band]} "
                           f"families, offered for {offer_band[band]}.")
    out += [s[:1].upper() + s[1:] + "." for s in check_placeable(problem)]
    return out
