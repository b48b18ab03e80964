"""Synthetic, importable files: claimant batches and capacity offers (seeded, deterministic)."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from fairshare.exchange.schema import FIELDS
from fairshare.vocabulary import load_vocabulary

DESTINATIONS = ("ON", "NB", "NS", "MB", "SK", "AB", "BC", "NL", "PE")
LANGS = (("fr", 0.45), ("en", 0.35), ("es", 0.25), ("ar", 0.15), ("ht", 0.12), ("sw", 0.05),
         ("fa", 0.05), ("tr", 0.04), ("pt", 0.04))
_VOCABULARY = load_vocabulary()  # every drawn value comes from data/vocabulary.yaml
LEVELS = _VOCABULARY.language_levels
EDUCATION = _VOCABULARY.education
OCCUPATIONS = _VOCABULARY.occupation_groups


def synth_claimant_rows(*, families: int, seed: int, current: str = "QC",
                        start: dt.date = dt.date(2025, 6, 1)) -> list[dict[str, str]]:
    """``families`` families (1-7 persons) as import rows; the same seed gives the same rows."""
    rng = random.Random(seed)  # nosec B311 # seeded synthetic demo data, never used for security
    rows: list[dict[str, str]] = []
    person = 0
    for f in range(1, families + 1):
        family_id = f"{current}-F{seed}-{f:06d}"
        size = rng.choices((1, 2, 3, 4, 5, 6, 7), weights=(30, 18, 17, 16, 10, 6, 3))[0]
        prefs = rng.sample(DESTINATIONS, k=rng.choice((0, 1, 2, 3)))
        excluded = [d for d in rng.sample(DESTINATIONS, k=1) if d not in prefs and
                    rng.random() < 0.1]
        services = sorted({s for s, p in (("french", 0.3), ("health-specialised", 0.08),
                                          ("school-places", 0.25 if size > 2 else 0.0))
                           if rng.random() < p})
        ties = [d for d in prefs[:1] if rng.random() < 0.2]
        arrived = start + dt.timedelta(days=rng.randrange(0, 300))
        consent_at = dt.datetime.combine(arrived + dt.timedelta(days=rng.randrange(5, 40)),
                                         dt.time(10, 0), tzinfo=dt.UTC)
        for m in range(size):
            person += 1
            adult = m < (2 if size > 2 else size)
            birth_year = (rng.randrange(1960, 2005) if adult else rng.randrange(2008, 2025))
            langs = sorted({lang for lang, p in LANGS if rng.random() < p} or {"es"})
            rows.append({
                "claimant_id": f"{current}-C{seed}-{person:07d}",
                "family_id": family_id,
                "current_jurisdiction": current,
                "birth_year": str(birth_year),
                "sex": rng.choice(("F", "M")),
                "languages": ";".join(f"{lang}:{rng.choice(LEVELS)}" for lang in langs),
                "education": rng.choice(EDUCATION) if adult else "primary",
                "work_experience_years": str(rng.randrange(0, 20)) if adult else "0",
                "occupation_group": rng.choice(OCCUPATIONS) if adult else "none",
                "consent": "yes",
                "consent_text_version": "2026-01",
                "consent_at": consent_at.isoformat().replace("+00:00", "Z"),
                "preferences": ";".join(prefs),
                "excluded": ";".join(excluded),
                "services": ";".join(services),
                "ties": ";".join(ties),
            })
    return rows


def write_claimants_csv(rows: list[dict[str, str]], out: str | Path) -> Path:
    """Write rows with the schema's columns (those present) in schema order."""
    p = Path(out)
    p.parent.mkdir(parents=True, exist_ok=True)
    columns = [c for c in FIELDS if rows and c in rows[0]]
    with p.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return p


CAPACITY_COLUMNS = ("offer_id", "jurisdiction", "period", "persons", "units_1_2", "units_3_4",
                    "units_5_plus", "services", "expires_on")


def synth_capacity_rows(*, seed: int, persons: int = 400,
                        expires_on: dt.date = dt.date(2027, 6, 30)) -> list[dict[str, str]]:
    """Capacity offers from the destinations, about ``persons`` places in all."""
    rng = random.Random(seed)  # nosec B311 # seeded synthetic demo data, never used for security
    weights = {"ON": 30, "NB": 10, "NS": 10, "MB": 10, "SK": 8, "AB": 14, "BC": 12, "NL": 3,
               "PE": 3}
    total = sum(weights.values())
    out = []
    for code, w in weights.items():
        places = max(5, round(persons * w / total))
        services = ["english"] + (["french"] if code in ("NB", "ON", "MB") else [])
        if rng.random() < 0.5:
            services.append("health-specialised")
        if rng.random() < 0.7:
            services.append("school-places")
        out.append({
            "offer_id": f"{code}-2026-Q{seed}", "jurisdiction": code, "period": "2026",
            "persons": str(places), "units_1_2": str(max(1, places // 5)),
            "units_3_4": str(max(1, places // 8)), "units_5_plus": str(max(1, places // 20)),
            "services": ";".join(sorted(services)), "expires_on": expires_on.isoformat(),
        })
    return out


def write_capacity_csv(rows: list[dict[str, str]], out: str | Path) -> Path:
    """Write capacity offers as CSV."""
    p = Path(out)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(CAPACITY_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return p
