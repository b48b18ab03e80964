"""Principal factors of the predicted outcome, attached to each family's explanation.

``fairshare outcomes predict --factors-out FILE`` writes, for every member and destination, the
features that move the member's predicted outcome most (ablation against a reference value; see
fairshare.outcomes.predict). ``fairshare match --factors FILE`` reads that file and names, in
each explanation, the principal factors behind the predicted outcome in the chosen destination,
in English and French (Quebec's Law 25 lets a person learn the principal factors of an automated
decision).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

from fairshare.errors import InputError
from fairshare.i18n import Num, Text, msg
from fairshare.matching.wording import factor_sentence

COLUMNS = ("member_id", "family_id", "destination", "feature", "value", "contribution")

FEATURES = {
    "age_band": ("age band", "tranche d'âge"),
    "education": ("education", "études"),
    "occupation_group": ("occupation", "profession"),
    "family_type": ("family type", "type de famille"),
    "english_level": ("English level", "niveau d'anglais"),
    "french_level": ("French level", "niveau de français"),
}

Factors = dict[tuple[str, str], list[dict[str, Any]]]


def read_factors(path: Path) -> Factors:
    """Read a factors CSV; every bad cell is reported with its row and column, nothing is used."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(msg("file_not_found", where=str(path))) from None
    except UnicodeDecodeError:
        raise InputError(msg("file_not_utf8_save", where=str(path))) from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(msg("match_factors_missing_columns", where=str(path),
                             missing=", ".join(missing)))
    out: Factors = defaultdict(list)
    errors: list[Text] = []
    for row_no, row in enumerate(reader, start=2):
        try:
            contribution = float(row["contribution"])
        except (TypeError, ValueError):
            errors.append(msg("match_factors_not_number", row=Num(row_no), raw=row["contribution"]))
            continue
        out[(row["family_id"], row["destination"])].append({
            "member_id": row["member_id"], "feature": row["feature"], "value": row["value"],
            "contribution": contribution})
    if errors:
        raise InputError(msg("match_factors_problems", where=str(path), n=Num(len(errors))),
                         details=errors)
    return dict(out)


def _sentence(factors: list[dict[str, Any]], lang: str) -> str:
    return factor_sentence(factors, FEATURES, lang)


def attach_factors(explanations: dict[str, dict[str, Any]], factors: Factors,
                   top: int = 3) -> dict[str, dict[str, Any]]:
    """Explanations with ``principal_factors`` for the chosen destination and a sentence in EN/FR.

    The ``top`` factors with the largest absolute contribution across the family's members are
    named (ties by member id, then feature). Families without factors are returned unchanged.
    """
    out = {}
    for fid, exp in explanations.items():
        chosen = exp.get("destination")
        rows = factors.get((fid, chosen), []) if chosen else []
        if not rows:
            out[fid] = exp
            continue
        best = sorted(rows, key=lambda r: (-abs(r["contribution"]), r["member_id"], r["feature"]))[:top]
        out[fid] = {**exp, "principal_factors": best,
                    "en": exp["en"] + _sentence(best, "en"), "fr": exp["fr"] + _sentence(best, "fr")}
    return out
