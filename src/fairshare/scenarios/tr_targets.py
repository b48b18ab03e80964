"""Temporary-resident targets tracked over a series, with progress toward each.

Targets are dated, referenced YAML (``scenarios/targets/temporary-residents.yaml``): a share of
the population (the federal 5% target) or a fraction of a baseline count (Quebec's demand to
halve the temporary residents in Quebec). The national series ships with fairshare
(``data/canada/non_permanent_residents_canada.csv``, each row with its source and confidence);
province series are read from Statistics Canada table 17-10-0121-01 as downloaded (the "full
table" CSV: columns ``REF_DATE``, ``GEO``, ``Non-permanent resident types``, ``VALUE``; see
docs/scenarios.md).

Progress toward a target is the fraction of the way from the baseline to the target that the
latest observation has travelled: 0 at the baseline, 1 (or more) when the target is met.

>>> t = Target("t", "x", "x", "", "CA", "share_of_population", 0.05, "at_most", None, "",
...            0.062, None, "", "official", "")
>>> round(progress(t, Observation("2025-07-01", 3024216, 0.073, "official", "")).fraction, 3)
-0.917
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairshare.errors import InputError, ScenarioError
from fairshare.i18n import Text, msg

TARGETS_FILE = Path(__file__).resolve().parent / "targets" / "temporary-residents.yaml"
KINDS = ("share_of_population", "fraction_of_baseline")
COMPARISONS = ("at_most", "below")
TOTAL_TYPE = "total, non-permanent residents"
_REF = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


@dataclass(frozen=True)
class Target:
    """One tracked target."""

    id: str
    label: str
    label_fr: str
    who: str
    geography: str
    kind: str
    value: float
    comparison: str
    by: dt.date | None
    by_note: str
    baseline_share: float | None
    baseline_date: str | None
    announced_on: str
    confidence: str
    source: str
    baseline_note: str = ""


@dataclass(frozen=True)
class Observation:
    """Temporary (non-permanent) residents at a reference date, with their share if known."""

    reference_date: str
    persons: int
    share: float | None
    confidence: str
    source: str


@dataclass(frozen=True)
class Progress:
    """Where a target stands at the latest observation."""

    target: Target
    latest: Observation | None
    baseline_value: float | None
    target_value: float | None
    fraction: float | None
    met: bool | None
    remaining_persons: int | None
    note: str


@functools.lru_cache(maxsize=1)
def load_targets() -> tuple[Target, ...]:
    """The shipped targets, in file order."""
    import yaml

    data = yaml.safe_load(TARGETS_FILE.read_text(encoding="utf-8"))
    out = []
    for i, raw in enumerate(data["targets"]):
        where = f"{TARGETS_FILE}, targets[{i}]"
        if raw.get("kind") not in KINDS or raw.get("comparison") not in COMPARISONS:
            raise ScenarioError(msg("tr_target_kind", where=where, kinds=", ".join(KINDS),
                                    comparisons=", ".join(COMPARISONS)))
        by = raw.get("by")
        out.append(Target(
            id=str(raw["id"]), label=str(raw["label"]), label_fr=str(raw.get("label_fr") or raw["label"]),
            who=str(raw["who"]), geography=str(raw["geography"]), kind=str(raw["kind"]),
            value=float(raw["value"]), comparison=str(raw["comparison"]),
            by=dt.date.fromisoformat(str(by)) if by else None, by_note=str(raw.get("by_note") or ""),
            baseline_share=float(raw["baseline_share"]) if raw.get("baseline_share") else None,
            baseline_date=str(raw["baseline_date"]) if raw.get("baseline_date") else None,
            announced_on=str(raw["announced_on"]), confidence=str(raw["confidence"]),
            source=str(raw["source"]), baseline_note=str(raw.get("baseline_note") or "")))
    return tuple(out)


def national_series(path: Path | None = None) -> list[Observation]:
    """The shipped national series of non-permanent residents, by reference date."""
    from fairshare.reference import shipped_folder

    file = path or shipped_folder("canada") / "non_permanent_residents_canada.csv"
    rows = list(csv.DictReader(io.StringIO(file.read_text(encoding="utf-8"))))
    out = [Observation(reference_date=r["reference_date"], persons=int(r["non_permanent_residents"]),
                       share=float(r["share_of_population_pct"]) / 100 if r["share_of_population_pct"]
                       else None, confidence=r["confidence"], source=r["source"]) for r in rows]
    return sorted(out, key=lambda o: o.reference_date)


def _ref_date(text: str) -> str | None:
    m = _REF.match(text.strip())
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        return None
    return dt.date(year, month, int(m.group(3) or 1)).isoformat()


def read_statcan_17100121(path: str | Path, *, names: Mapping[str, str]) -> dict[str, list[Observation]]:
    """Province series from Statistics Canada table 17-10-0121-01 as downloaded (CSV).

    Args:
        path: the table's CSV (``17100121.csv`` from the "Download entire table" link, or a
            "Download as displayed" CSV with the same columns).
        names: GEO name (English or French) -> jurisdiction code; ``Canada`` maps to ``CA``.

    Returns:
        Code -> observations of the total non-permanent residents, by reference date.

    Raises:
        InputError: naming the file, row and column of every problem.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(msg("tr_series_not_found", path=str(path)))
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(msg("tr_series_not_utf8", where=str(path))) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    type_col = next((h for h in header if "non-permanent resident" in h.lower()), None)
    missing = [c for c in ("REF_DATE", "GEO", "VALUE") if c not in header]
    if missing or type_col is None:
        need = [*missing, *(["Non-permanent resident types"] if type_col is None else [])]
        raise InputError(msg("tr_series_not_table", where=str(path), missing=", ".join(need)))
    lookup = {k.lower(): v for k, v in names.items()}
    errors: list[Text] = []
    series: dict[str, dict[str, int]] = {}
    for n, raw in enumerate(reader, start=2):
        row = {str(k).strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if row.get(type_col, "").lower() != TOTAL_TYPE:
            continue
        geo = row.get("GEO", "")
        code = lookup.get(geo.lower())
        if code is None:
            errors.append(msg("tr_series_geo", row=n, geo=geo))
            continue
        ref = _ref_date(row.get("REF_DATE", ""))
        if ref is None:
            errors.append(msg("tr_series_ref_date", row=n, raw=row.get("REF_DATE", "")))
            continue
        value = row.get("VALUE", "").replace(",", "")
        if value == "" and row.get("STATUS", "") in ("..", "x", "F"):
            continue  # not available or suppressed by Statistics Canada
        try:
            persons = float(value)
        except ValueError:
            errors.append(msg("tr_series_value_not_number", row=n, raw=value))
            continue
        if not math.isfinite(persons) or persons < 0:
            errors.append(msg("tr_series_value_negative", row=n, raw=value))
            continue
        if ref in series.setdefault(code, {}):
            errors.append(msg("tr_series_twice", row=n, geo=geo, ref=ref))
            continue
        series[code][ref] = round(persons)
    if errors:
        raise InputError(msg("tr_series_problems", where=str(path), n=len(errors)), details=errors)
    if not series:
        raise InputError(msg("tr_series_no_total", where=str(path), column=type_col))
    source = "Statistics Canada table 17-10-0121-01 (file supplied by the user)"
    return {code: [Observation(reference_date=d, persons=v, share=None, confidence="official",
                               source=source) for d, v in sorted(values.items())]
            for code, values in sorted(series.items())}


def progress(target: Target, latest: Observation | None,
             series: Sequence[Observation] = ()) -> Progress:
    """How far the latest observation has come from the baseline toward the target."""
    if latest is None:
        return Progress(target, None, None, None, None, None, None,
                        f"No series for {target.geography}: give the province series "
                        "(table 17-10-0121-01) with --provinces.")
    if target.kind == "share_of_population":
        if latest.share is None or target.baseline_share is None:
            return Progress(target, latest, None, target.value, None, None, None,
                            "The series has no share of the population.")
        base, goal, now = target.baseline_share, target.value, latest.share
        population = latest.persons / latest.share
        remaining = math.ceil(latest.persons - goal * population)
        met = now < goal if target.comparison == "below" else now <= goal
        fraction = (base - now) / (base - goal) if base != goal else None
        return Progress(target, latest, base, goal, fraction, met, max(remaining, 0),
                        f"baseline {base:.1%} ({target.baseline_note or target.announced_on}); "
                        f"latest {now:.1%} at {latest.reference_date} ({latest.confidence}).")
    baseline = next((o for o in series if o.reference_date == target.baseline_date), None)
    if baseline is None:
        return Progress(target, latest, None, None, None, None, None,
                        f"The series has no value at the baseline date {target.baseline_date}.")
    goal_value = baseline.persons * target.value
    fraction = (baseline.persons - latest.persons) / (baseline.persons - goal_value) \
        if baseline.persons != goal_value else None
    met = latest.persons < goal_value if target.comparison == "below" \
        else latest.persons <= goal_value
    return Progress(target, latest, float(baseline.persons), goal_value, fraction, met,
                    max(math.ceil(latest.persons - goal_value), 0),
                    f"baseline {baseline.persons:,} at {baseline.reference_date}; latest "
                    f"{latest.persons:,} at {latest.reference_date}.")


def track(province_series: Mapping[str, Sequence[Observation]] | None = None) -> list[Progress]:
    """Progress of every shipped target: national ones on the shipped series, province ones on
    ``province_series`` (from :func:`read_statcan_17100121`)."""
    national = national_series()
    out = []
    for t in load_targets():
        if t.geography == "CA":
            series: Sequence[Observation] = national
        else:
            series = (province_series or {}).get(t.geography, [])
        out.append(progress(t, series[-1] if series else None, series))
    return out


def progress_rows(items: Sequence[Progress]) -> list[dict[str, Any]]:
    """Flat rows for tables, CSV and JSON."""
    return [{
        "target": p.target.id, "who": p.target.who, "geography": p.target.geography,
        "target_text": p.target.label, "by": p.target.by.isoformat() if p.target.by else p.target.by_note,
        "latest_date": p.latest.reference_date if p.latest else None,
        "latest_persons": p.latest.persons if p.latest else None,
        "latest_share": p.latest.share if p.latest else None,
        "baseline": p.baseline_value, "target_value": p.target_value,
        "progress": None if p.fraction is None else round(p.fraction, 4),
        "met": p.met, "remaining_persons": p.remaining_persons,
        "target_confidence": p.target.confidence,
        "series_confidence": p.latest.confidence if p.latest else None,
        "note": p.note, "source": p.target.source} for p in items]
