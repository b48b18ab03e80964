"""Reference data of a federation: jurisdictions, indicators with their sources, and intake.

A federation is a folder holding ``catalogue.yaml``, ``jurisdictions.csv`` and one CSV per
indicator (format: docs/bring-your-own-data.md). Canada ships inside the package; Germany ships
as a worked example; users pass their own folder with ``--data DIR``.

>>> fed = load_federation()
>>> fed.codes[:3]
('NL', 'PE', 'NS')
>>> fed.values("population", "2025-04-01")["QC"]
9110616.0
"""

from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fairshare.errors import DataError

SHIPPED = ("canada", "germany")


@dataclass(frozen=True)
class Source:
    """Where a figure or a rule comes from: a title and a URL (down to the article)."""

    title: str
    url: str
    title_fr: str = ""  # the French title, where the source has one (else ``title`` is shown)


@dataclass(frozen=True)
class Jurisdiction:
    """A member of the federation (province, territory, Land, canton...)."""

    code: str
    name: str
    name_fr: str
    iso_3166_2: str
    kind: str


@dataclass(frozen=True)
class Indicator:
    """One indicator of the catalogue with its values by period and jurisdiction."""

    id: str
    label: str
    unit: str
    confidence: str
    source: Source
    notes: str
    file: str
    values_by_period: dict[str, dict[str, float]]
    period_notes: dict[str, str] = field(default_factory=dict)
    period_notes_fr: dict[str, str] = field(default_factory=dict)
    extra_rows: dict[str, dict[str, float]] = field(default_factory=dict)
    extra_roles: dict[str, str] = field(default_factory=dict)

    @property
    def periods(self) -> list[str]:
        """The periods (dates or years) for which the indicator has values, sorted."""
        return sorted(self.values_by_period)


@dataclass(frozen=True)
class Federation:
    """A federation's reference data, loaded and checked."""

    id: str
    label: str
    folder: Path
    jurisdictions: tuple[Jurisdiction, ...]
    indicators: dict[str, Indicator]
    default_key: str
    intake_indicator: str | None
    geojson: Path | None
    geojson_code_property: str
    geojson_code_kind: str
    map_settings: dict[str, Any] = field(default_factory=dict)

    @property
    def codes(self) -> tuple[str, ...]:
        """Jurisdiction codes in the order of ``jurisdictions.csv``."""
        return tuple(j.code for j in self.jurisdictions)

    def jurisdiction(self, code: str) -> Jurisdiction:
        """The jurisdiction with ``code``; DataError naming the known codes otherwise."""
        for j in self.jurisdictions:
            if j.code == code:
                return j
        raise DataError(f"Unknown jurisdiction '{code}' in {self.label}. "
                        f"Known codes: {', '.join(self.codes)}.")

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator ``indicator_id``; DataError listing the catalogue otherwise."""
        try:
            return self.indicators[indicator_id]
        except KeyError:
            raise DataError(
                f"Indicator '{indicator_id}' is not in the catalogue of {self.label} "
                f"({self.folder / 'catalogue.yaml'}). Known indicators: "
                f"{', '.join(sorted(self.indicators))}.") from None

    def values(self, indicator_id: str, period: str | None = None) -> dict[str, float]:
        """Values of an indicator for one period (the latest when ``period`` is None)."""
        ind = self.indicator(indicator_id)
        if period is None:
            period = ind.periods[-1]
        if period not in ind.values_by_period:
            raise DataError(f"Indicator '{indicator_id}' has no values for period '{period}'. "
                            f"Available periods: {', '.join(ind.periods)}.")
        return dict(ind.values_by_period[period])

    def intake(self) -> Indicator:
        """The indicator that records intake (asylum claims) per period."""
        if not self.intake_indicator:
            raise DataError(f"{self.label} has no intake indicator: add `intake: <indicator>` "
                            f"to {self.folder / 'catalogue.yaml'}.")
        return self.indicator(self.intake_indicator)


def shipped_folder(name: str) -> Path:
    """The folder of a federation shipped in the package (``canada`` or ``germany``)."""
    root = resources.files("fairshare") / "data" / name
    return Path(str(root))


def _parse_number(text: str, *, where: str) -> float:
    cleaned = text.strip().replace(",", "").replace("\u00a0", "").replace(" ", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise DataError(f"{where}: '{text}' is not a number. Write plain numbers such as 1234.5 "
                        "(no units, no thousands separators other than commas).") from None
    if not math.isfinite(value):
        raise DataError(f"{where}: '{text}' is not a finite number.")
    return value


def read_csv_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Read a UTF-8 CSV file with a header; clear errors for missing, empty or mis-encoded files."""
    if not path.is_file():
        raise DataError(f"{path}: file not found.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(f"{path}, line {line}: the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x} "
                        "at that line). Save it as UTF-8 and try again.") from None
    if not text.strip():
        raise DataError(f"{path}: the file is empty; it needs a header row and data rows.")
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows = []
    for row in reader:
        if None in row:
            raise DataError(f"{path}, row {reader.line_num}: more cells than header columns.")
        rows.append({k: (v or "").strip() for k, v in row.items()})
    return header, rows


def _require_columns(path: Path, header: list[str], needed: list[str]) -> None:
    missing = [c for c in needed if c not in header]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; the header has "
                        f"{', '.join(header) or 'nothing'}.")


def _load_indicator(folder: Path, ind_id: str, spec: dict[str, Any],
                    codes: tuple[str, ...]) -> Indicator:
    where_cat = f"{folder / 'catalogue.yaml'}, indicator '{ind_id}'"
    for needed in ("label", "unit", "file", "source"):
        if needed not in spec:
            raise DataError(f"{where_cat}: missing field '{needed}'.")
    src = spec["source"]
    if not isinstance(src, dict) or not src.get("title") or not src.get("url"):
        raise DataError(f"{where_cat}: 'source' needs a title and a url.")
    path = folder / str(spec["file"])
    header, rows = read_csv_rows(path)
    _require_columns(path, header, ["code"])
    not_jur: dict[str, str] = {str(k): str(v) for k, v in (spec.get("not_jurisdictions") or {}).items()}
    values: dict[str, dict[str, float]] = {}
    extra: dict[str, dict[str, float]] = {}
    known = set(codes)

    def put(period: str, code: str, value: float, row_no: int) -> None:
        if code in not_jur:
            extra.setdefault(period, {})[code] = value
            return
        if code not in known:
            raise DataError(f"{path}, row {row_no}, column code: unknown jurisdiction '{code}'. "
                            f"Known codes: {', '.join(codes)}; list other rows under "
                            f"'not_jurisdictions' in the catalogue.")
        bucket = values.setdefault(period, {})
        if code in bucket:
            raise DataError(f"{path}, row {row_no}: jurisdiction '{code}' appears twice for "
                            f"period {period}.")
        bucket[code] = value

    if "long" in spec:
        long = spec["long"]
        pcol, vcol = str(long["period_column"]), str(long["value_column"])
        _require_columns(path, header, [pcol, vcol])
        for i, row in enumerate(rows, start=2):
            if row[vcol] == "":
                continue
            put(row[pcol], row["code"], _parse_number(row[vcol], where=f"{path}, row {i}, column {vcol}"), i)
    else:
        periods: dict[str, str] = {str(k): str(v) for k, v in (spec.get("periods") or {}).items()}
        if not periods:
            raise DataError(f"{where_cat}: give 'periods' (period: column) or 'long'.")
        _require_columns(path, header, list(periods.values()))
        for i, row in enumerate(rows, start=2):
            for period, col in periods.items():
                if row[col] == "":
                    continue
                put(period, row["code"], _parse_number(row[col], where=f"{path}, row {i}, column {col}"), i)
    return Indicator(
        id=ind_id, label=str(spec["label"]), unit=str(spec["unit"]),
        confidence=str(spec.get("confidence", "unknown")),
        source=Source(title=str(src["title"]), url=str(src["url"])),
        notes=str(spec.get("notes", "")), file=str(spec["file"]), values_by_period=values,
        period_notes={str(k): str(v) for k, v in (spec.get("period_notes") or {}).items()},
        period_notes_fr={str(k): str(v) for k, v in (spec.get("period_notes_fr") or {}).items()},
        extra_rows=extra, extra_roles=not_jur)


@functools.lru_cache(maxsize=16)
def _load_cached(folder: str) -> Federation:
    import yaml

    path = Path(folder)
    cat_path = path / "catalogue.yaml"
    if not cat_path.is_file():
        raise DataError(f"{path}: no catalogue.yaml. A federation folder needs catalogue.yaml, "
                        "jurisdictions.csv and indicator CSV files (see docs/bring-your-own-data.md).")
    try:
        cat = yaml.safe_load(cat_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise DataError(f"{cat_path}{line}: malformed YAML ({getattr(exc, 'problem', exc)}).") from None
    except UnicodeDecodeError:
        raise DataError(f"{cat_path}: the file is not valid UTF-8.") from None
    if not isinstance(cat, dict):
        raise DataError(f"{cat_path}: expected a mapping with 'federation', 'jurisdictions' "
                        "and 'indicators'.")
    for needed in ("federation", "jurisdictions", "indicators"):
        if needed not in cat:
            raise DataError(f"{cat_path}: missing field '{needed}'.")
    jpath = path / str(cat["jurisdictions"])
    header, rows = read_csv_rows(jpath)
    _require_columns(jpath, header, ["code", "name"])
    juris: list[Jurisdiction] = []
    seen: set[str] = set()
    for i, row in enumerate(rows, start=2):
        code = row["code"]
        if not code:
            raise DataError(f"{jpath}, row {i}, column code: empty code.")
        if code in seen:
            raise DataError(f"{jpath}, row {i}, column code: duplicate code '{code}'.")
        seen.add(code)
        juris.append(Jurisdiction(code=code, name=row["name"], name_fr=row.get("name_fr") or row["name"],
                                  iso_3166_2=row.get("iso_3166_2") or code, kind=row.get("kind") or ""))
    codes = tuple(j.code for j in juris)
    inds = cat["indicators"] or {}
    if not isinstance(inds, dict):
        raise DataError(f"{cat_path}: 'indicators' must be a mapping of id to definition.")
    indicators = {str(k): _load_indicator(path, str(k), v, codes) for k, v in inds.items()}
    geo = cat.get("geojson")
    return Federation(
        id=str(cat["federation"]), label=str(cat.get("label", cat["federation"])), folder=path,
        jurisdictions=tuple(juris), indicators=indicators,
        default_key=str(cat.get("default_key", "")), intake_indicator=cat.get("intake"),
        geojson=(path / str(geo)) if geo else None,
        geojson_code_property=str(cat.get("geojson_code_property", "code")),
        geojson_code_kind=str(cat.get("geojson_code_kind", "code")),
        map_settings=_map_settings(cat_path, cat.get("map")))


def _map_settings(cat_path: Path, raw: object) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DataError(f"{cat_path}: 'map' must be a mapping (projection: ..., see "
                        "docs/bring-your-own-data.md).")
    return {str(k): v for k, v in raw.items()}


def load_federation(data: str | Path | None = None) -> Federation:
    """Load a federation: None or 'canada' for the shipped default, 'germany', or a folder path."""
    if data is None or str(data) in SHIPPED:
        folder = shipped_folder(str(data or "canada"))
    else:
        folder = Path(data).expanduser().resolve()
        if not folder.is_dir():
            raise DataError(f"--data {data}: no such folder. Give 'canada', 'germany' or a folder "
                            "with catalogue.yaml (see docs/bring-your-own-data.md).")
    return _load_cached(str(folder))
