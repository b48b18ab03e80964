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

from fairshare.errors import DataError, at
from fairshare.i18n import Text, msg

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
        raise DataError(msg("data_unknown_jurisdiction", code=code, federation=self.label,
                            codes=", ".join(self.codes)))

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator ``indicator_id``; DataError listing the catalogue otherwise."""
        try:
            return self.indicators[indicator_id]
        except KeyError:
            raise DataError(msg("data_unknown_indicator", indicator=indicator_id,
                                federation=self.label, catalogue=str(self.folder / "catalogue.yaml"),
                                known=", ".join(sorted(self.indicators)))) from None

    def values(self, indicator_id: str, period: str | None = None) -> dict[str, float]:
        """Values of an indicator for one period (the latest when ``period`` is None)."""
        ind = self.indicator(indicator_id)
        if period is None:
            period = ind.periods[-1]
        if period not in ind.values_by_period:
            raise DataError(msg("data_no_period", indicator=indicator_id, period=period,
                                periods=", ".join(ind.periods)))
        return dict(ind.values_by_period[period])

    def intake(self) -> Indicator:
        """The indicator that records intake (asylum claims) per period."""
        if not self.intake_indicator:
            raise DataError(msg("data_no_intake", federation=self.label,
                                catalogue=str(self.folder / "catalogue.yaml")))
        return self.indicator(self.intake_indicator)


def shipped_folder(name: str) -> Path:
    """The folder of a federation shipped in the package (``canada`` or ``germany``)."""
    root = resources.files("fairshare") / "data" / name
    return Path(str(root))


def _parse_number(text: str, *, where: Text) -> float:
    cleaned = text.strip().replace(",", "").replace("\u00a0", "").replace(" ", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise DataError(msg("file_not_a_number", where=where, text=text)) from None
    if not math.isfinite(value):
        raise DataError(msg("file_not_finite", where=where, text=text))
    return value


def read_csv_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Read a UTF-8 CSV file with a header; clear errors for missing, empty or mis-encoded files."""
    if not path.is_file():
        raise DataError(msg("file_not_found", where=str(path)))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(msg("file_not_utf8_byte", where=at(path, line=line),
                            byte=f"0x{raw[exc.start]:02x}")) from None
    if not text.strip():
        raise DataError(msg("file_empty_needs_header", where=str(path)))
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows = []
    for row in reader:
        if None in row:
            raise DataError(msg("file_more_cells", where=at(path, reader.line_num)))
        rows.append({k: (v or "").strip() for k, v in row.items()})
    return header, rows


def _require_columns(path: Path, header: list[str], needed: list[str]) -> None:
    missing = [c for c in needed if c not in header]
    if missing:
        raise DataError(msg("file_missing_columns_header", where=str(path),
                            missing=", ".join(missing),
                            header=", ".join(header) if header else msg("file_header_nothing")))


def _load_indicator(folder: Path, ind_id: str, spec: dict[str, Any],
                    codes: tuple[str, ...]) -> Indicator:
    where_cat = msg("data_indicator_at", catalogue=str(folder / "catalogue.yaml"), indicator=ind_id)
    for needed in ("label", "unit", "file", "source"):
        if needed not in spec:
            raise DataError(msg("data_missing_field", where=where_cat, field=needed))
    src = spec["source"]
    if not isinstance(src, dict) or not src.get("title") or not src.get("url"):
        raise DataError(msg("data_source_needs", where=where_cat))
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
            raise DataError(msg("data_unknown_code_row", where=at(path, row_no, "code"), code=code,
                                codes=", ".join(codes)))
        bucket = values.setdefault(period, {})
        if code in bucket:
            raise DataError(msg("data_code_twice_period", where=at(path, row_no), code=code,
                                period=period))
        bucket[code] = value

    if "long" in spec:
        long = spec["long"]
        pcol, vcol = str(long["period_column"]), str(long["value_column"])
        _require_columns(path, header, [pcol, vcol])
        for i, row in enumerate(rows, start=2):
            if row[vcol] == "":
                continue
            put(row[pcol], row["code"], _parse_number(row[vcol], where=at(path, i, vcol)), i)
    else:
        periods: dict[str, str] = {str(k): str(v) for k, v in (spec.get("periods") or {}).items()}
        if not periods:
            raise DataError(msg("data_periods_or_long", where=where_cat))
        _require_columns(path, header, list(periods.values()))
        for i, row in enumerate(rows, start=2):
            for period, col in periods.items():
                if row[col] == "":
                    continue
                put(period, row["code"], _parse_number(row[col], where=at(path, i, col)), i)
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
        raise DataError(msg("data_no_catalogue", where=str(path)))
    try:
        cat = yaml.safe_load(cat_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = at(cat_path, line=mark.line + 1) if mark is not None else str(cat_path)
        raise DataError(msg("file_bad_yaml", where=where,
                            problem=str(getattr(exc, "problem", exc)))) from None
    except UnicodeDecodeError:
        raise DataError(msg("file_not_utf8", where=str(cat_path))) from None
    if not isinstance(cat, dict):
        raise DataError(msg("data_catalogue_not_mapping", where=str(cat_path)))
    for needed in ("federation", "jurisdictions", "indicators"):
        if needed not in cat:
            raise DataError(msg("data_missing_field", where=str(cat_path), field=needed))
    jpath = path / str(cat["jurisdictions"])
    header, rows = read_csv_rows(jpath)
    _require_columns(jpath, header, ["code", "name"])
    juris: list[Jurisdiction] = []
    seen: set[str] = set()
    for i, row in enumerate(rows, start=2):
        code = row["code"]
        if not code:
            raise DataError(msg("file_empty_code", where=at(jpath, i, "code")))
        if code in seen:
            raise DataError(msg("file_duplicate_code", where=at(jpath, i, "code"), code=code))
        seen.add(code)
        juris.append(Jurisdiction(code=code, name=row["name"], name_fr=row.get("name_fr") or row["name"],
                                  iso_3166_2=row.get("iso_3166_2") or code, kind=row.get("kind") or ""))
    codes = tuple(j.code for j in juris)
    inds = cat["indicators"] or {}
    if not isinstance(inds, dict):
        raise DataError(msg("data_indicators_mapping", where=str(cat_path)))
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
        raise DataError(msg("data_map_mapping", where=str(cat_path)))
    return {str(k): v for k, v in raw.items()}


def load_federation(data: str | Path | None = None) -> Federation:
    """Load a federation: None or 'canada' for the shipped default, 'germany', or a folder path."""
    if data is None or str(data) in SHIPPED:
        folder = shipped_folder(str(data or "canada"))
    else:
        folder = Path(data).expanduser().resolve()
        if not folder.is_dir():
            raise DataError(msg("data_no_folder", data=str(data)))
    return _load_cached(str(folder))
