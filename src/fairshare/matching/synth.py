"""Synthetic Canadian batches: realistic shapes, no real person.

Family sizes 1-8 (mean about 2.5), current province mostly Quebec and Ontario (as asylum claims
are), 15% French-only families (who need French-language services: QC, NB, ON), 3% needing
specialised health care, up to three ranked preferences, a few exclusions, ties to relatives,
95% consent. Capacities follow population shares with 15% slack, minimum intakes at 80% of the
share for provinces, housing units by family-size band. Scores are per-member predicted outcomes
with a family effect, a destination effect and a language match.
"""

from __future__ import annotations

import numpy as np

from fairshare.matching.problem import Destination, Family, Member, Problem
from fairshare.vocabulary import load_vocabulary

CODES = ("NL", "PE", "NS", "NB", "QC", "ON", "MB", "SK", "AB", "BC", "YT", "NT", "NU")
POPULATION = (545464, 180029, 1080418, 859839, 9110616, 16176977, 1507330, 1253569, 4980659,
              5719961, 47111, 45242, 41572)
FRENCH = frozenset({"QC", "NB", "ON"})
HEALTH = frozenset({"QC", "ON", "BC", "AB", "NS", "MB"})
TERRITORIES = frozenset({"YT", "NT", "NU"})
SIZE_P = (0.34, 0.2, 0.16, 0.13, 0.08, 0.05, 0.03, 0.01)
BANDS = (("1-2", 1, 2), ("3-4", 3, 4), ("5+", 5, 99))


def synth_members(family_id: str, size: int, *, french_only: bool, year: int,
                  rng: np.random.Generator) -> tuple[Member, ...]:
    """Members of one synthetic family, with attributes drawn from the claimant vocabulary
    (``fairshare/data/vocabulary.yaml``): up to two adults, then children."""
    vocabulary = load_vocabulary()
    levels = vocabulary.language_levels
    out = []
    for m in range(size):
        adult = m < min(2, size)
        born = int(year - (rng.integers(18, 65) if adult else rng.integers(0, 18)))
        spoken = [("fr", str(rng.choice(levels)))] if french_only else [
            (str(lang), str(rng.choice(levels))) for lang in ("en", "fr", "es")
            if rng.random() < (0.6 if lang == "en" else 0.3)]
        out.append(Member(
            id=f"{family_id}-M{m + 1}", family_id=family_id, birth_year=born,
            sex=str(rng.choice(("F", "M"))), languages=tuple(sorted(spoken)),
            education=str(rng.choice(vocabulary.education)) if adult else "primary",
            work_experience_years=float(rng.integers(0, 20)) if adult else 0.0))
    return tuple(out)


def synth_batch(n_families: int, seed: int = 0, *, floors: bool = True,
                housing: bool = True, slack: float = 1.15, members: bool = False,
                year: int = 2026) -> Problem:
    """A synthetic batch of ``n_families`` for Canada's 13 jurisdictions (deterministic).

    ``members``: also give each family its members (attributes from the claimant vocabulary,
    ages in ``year``, drawn from a generator of their own so the batch is otherwise unchanged).
    """
    rng = np.random.default_rng(seed)
    n = n_families
    sizes = rng.choice(np.arange(1, 9), size=n, p=SIZE_P)
    current = rng.choice(np.array(["QC", "ON", "BC", "AB", "MB", "NS"]), size=n,
                         p=[0.34, 0.52, 0.05, 0.05, 0.02, 0.02])
    french_only = rng.random(n) < 0.15
    health = rng.random(n) < 0.03
    consent = rng.random(n) < 0.95
    share = np.asarray(POPULATION, dtype=float) / sum(POPULATION)
    dest_effect = rng.normal(0, 0.06, len(CODES))
    fam_effect = rng.normal(0, 0.08, n)
    noise = rng.normal(0, 0.07, (n, len(CODES)))
    base = 0.45 + fam_effect[:, None] + dest_effect[None, :] + noise
    fr_col = np.asarray([c == "QC" for c in CODES])
    base += np.where(french_only[:, None] & fr_col[None, :], 0.12, 0.0)
    scores_m = np.clip(base, 0.01, 0.99).round(4)
    refused = rng.random((n, len(CODES))) < 0.03
    n_prefs = rng.choice(np.arange(0, 4), size=n, p=[0.3, 0.3, 0.25, 0.15])
    tie_dest = np.where(rng.random(n) < 0.1, rng.choice(len(CODES), size=n, p=share), -1)
    # Preferences: weighted sampling without replacement, vectorised (Efraimidis-Spirakis keys).
    pref_order = np.argsort(-np.log(rng.random((n, len(CODES)))) / share[None, :], axis=1)
    score_rows = scores_m.tolist()
    families: list[Family] = []
    scores: dict[str, dict[str, float]] = {}
    width = len(str(max(n, 1)))
    member_rng = np.random.default_rng([seed, 1])
    for i in range(n):
        fid = f"F{i + 1:0{width}d}"
        services = frozenset(
            ({"french"} if french_only[i] else set()) | ({"health"} if health[i] else set()))
        excluded = frozenset(CODES[j] for j in np.flatnonzero(refused[i])) if refused[i].any() \
            else frozenset()
        k = int(n_prefs[i])
        prefs: tuple[str, ...] = ()
        if k:
            prefs = tuple(CODES[j] for j in pref_order[i, :k] if CODES[j] not in excluded)
        ties = frozenset({CODES[int(tie_dest[i])]}) if tie_dest[i] >= 0 else frozenset()
        people = synth_members(fid, int(sizes[i]), french_only=bool(french_only[i]), year=year,
                               rng=member_rng) if members else ()
        families.append(Family(id=fid, size=int(sizes[i]), consent=bool(consent[i]),
                               current=str(current[i]), services=services, excluded=excluded,
                               preferences=prefs, ties=ties - excluded, members=people))
        scores[fid] = dict(zip(CODES, score_rows[i], strict=True))
    persons = float(sizes[consent].sum())
    destinations: list[Destination] = []
    for j, code in enumerate(CODES):
        target = share[j] * persons
        cap = int(np.ceil(target * slack)) + 8
        units = None
        if housing:
            units = {}
            for band, lo, hi in BANDS:
                in_band = float(((sizes >= lo) & (sizes <= hi) & consent).sum())
                units[band] = int(np.ceil(in_band * share[j] * 1.3)) + 2
        minimum = int(0.8 * target) if floors and code not in TERRITORIES else None
        services = frozenset(({"french"} if code in FRENCH else set())
                             | ({"health"} if code in HEALTH else set()))
        destinations.append(Destination(code=code, capacity=cap, services=services,
                                        min_intake=minimum, housing_units=units,
                                        shortfall=round(target, 1)))
    return Problem(families=tuple(families), destinations=tuple(destinations), scores=scores,
                   name=f"synthetic-{n}-seed{seed}", meta={"year": str(year)} if members else {})
