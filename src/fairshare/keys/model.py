"""The typed value of a distribution key, parsed and checked from its YAML file."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairshare.errors import KeyDefinitionError
from fairshare.i18n import PLUSES, Message, Num, Text, joined, msg
from fairshare.reference import Source

TRANSFORMS = ("share", "inverse", "fixed")
AGGREGATES = ("mean", "sum")
MISSING = ("error", "neutral")


# A key's reference is the same value as an indicator's source: a title and a URL.
Reference = Source


@dataclass(frozen=True)
class Component:
    """One weighted indicator of a key.

    Attributes:
        indicator: indicator id in the federation's catalogue.
        periods: periods to read ("latest" means the indicator's latest period).
        aggregate: how several periods combine (mean or sum).
        per_capita_of: divide by this indicator (latest period) before transforming.
        weight: weight of the component; a version's weights sum to 1.
        transform: ``share`` (v / sum v), ``inverse`` ((1/v) / sum 1/v, for rates where more
            means less capacity, such as unemployment) or ``fixed`` (published shares, normalised).
        cap_relative_to_base: if set, each jurisdiction's share in this component is kept within
            ± this fraction of its share under the uncapped components (the "base").
        missing: ``error`` (a missing value is an error naming the jurisdiction) or ``neutral``
            (a jurisdiction without a value gets its base share in this component).
    """

    indicator: str
    periods: tuple[str, ...]
    aggregate: str
    per_capita_of: str | None
    weight: float
    transform: str
    cap_relative_to_base: float | None
    missing: str

    @property
    def formula(self) -> str:
        """A one-line human formula for docs and ``keys show``."""
        return self.formula_in("en")

    def formula_in(self, lang: str) -> str:
        """The one-line formula in ``lang`` (words from the catalogue, numbers in the locale)."""
        from fairshare.i18n import gettext, number, percent

        value = self.indicator
        if len(self.periods) > 1:
            value = f"{self.aggregate}({self.indicator}[{self.periods[0]}..{self.periods[-1]}])"
        elif self.periods[0] != "latest":
            value = f"{self.indicator}[{self.periods[0]}]"
        if self.per_capita_of:
            value = f"{value} / {self.per_capita_of}"
        transform = "formula_" + self.transform
        body = gettext(transform, lang, value=value)
        extra = []
        if self.cap_relative_to_base is not None:
            extra.append(gettext("formula_capped", lang,
                                 cap=percent(self.cap_relative_to_base, 0, lang)))
        if self.missing == "neutral":
            extra.append(gettext("formula_neutral", lang))
        tail = f" ({'; '.join(extra)})" if extra else ""
        weight = number(self.weight, len(f"{self.weight:g}".partition(".")[2]), lang)
        return f"{weight} × {body}{tail}"


@dataclass(frozen=True)
class KeyVersion:
    """The components of a key from the date it takes effect."""

    effective: dt.date
    components: tuple[Component, ...]

    @property
    def formula(self) -> str:
        """The version's formula, components joined by +."""
        return self.formula_in("en")

    def formula_in(self, lang: str) -> str:
        """The version's formula in ``lang``."""
        return " + ".join(c.formula_in(lang) for c in self.components)


@dataclass(frozen=True)
class KeyDefinition:
    """A dated, referenced distribution key."""

    id: str
    label: str
    description: str
    label_fr: str
    description_fr: str
    federation: str
    unit: str
    references: tuple[Reference, ...]
    versions: tuple[KeyVersion, ...]
    path: Path

    def version_on(self, on: dt.date | None) -> KeyVersion:
        """The version in effect on ``on`` (the latest when None)."""
        if on is None:
            return self.versions[-1]
        eligible = [v for v in self.versions if v.effective <= on]
        if not eligible:
            raise KeyDefinitionError(msg("key_not_in_effect", key=self.id,
                                         effective=str(self.versions[0].effective), on=str(on),
                                         path=str(self.path)))
        return eligible[-1]


def _fail(path: Path, where: Text, problem: Message) -> KeyDefinitionError:
    return KeyDefinitionError(msg("key_file_problem", path=str(path), where=where, problem=problem))


def _g(value: float) -> Num | str:
    """``value`` as ``{:g}`` writes it (six significant digits), in the reader's locale."""
    text = f"{value:g}"
    if not math.isfinite(value) or "e" in text:
        return text
    return Num(float(text), len(text.partition(".")[2]))


def _as_date(path: Path, where: Text, value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _fail(path, where, msg("key_not_iso_date", value=str(value))) from None


def _component(path: Path, where: Text, raw: Any) -> Component:
    if not isinstance(raw, dict):
        raise _fail(path, where, msg("key_component_not_mapping"))
    known = {"indicator", "period", "periods", "aggregate", "per_capita_of", "weight", "transform",
             "cap_relative_to_base", "missing"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _fail(path, where, msg("key_unknown_fields", unknown=", ".join(unknown),
                                     known=", ".join(sorted(known))))
    if "indicator" not in raw:
        raise _fail(path, where, msg("key_no_indicator"))
    if "weight" not in raw:
        raise _fail(path, where, msg("key_no_weight", indicator=str(raw["indicator"])))
    try:
        weight = float(raw["weight"])
    except (TypeError, ValueError):
        raise _fail(path, where, msg("key_weight_not_number", raw=str(raw["weight"]))) from None
    if not math.isfinite(weight) or weight < 0:
        raise _fail(path, where, msg("key_weight_negative", raw=_g(weight)))
    transform = str(raw.get("transform", "share"))
    if transform not in TRANSFORMS:
        raise _fail(path, where, msg("key_transform_unknown", transform=transform,
                                     transforms=", ".join(TRANSFORMS)))
    periods_raw = raw.get("periods", [raw.get("period", "latest")])
    if not isinstance(periods_raw, list) or not periods_raw:
        raise _fail(path, where, msg("key_periods_not_list"))
    aggregate = str(raw.get("aggregate", "mean"))
    if aggregate not in AGGREGATES:
        raise _fail(path, where, msg("key_aggregate_unknown", aggregate=aggregate))
    missing = str(raw.get("missing", "error"))
    if missing not in MISSING:
        raise _fail(path, where, msg("key_missing_rule_unknown", missing=missing))
    cap = raw.get("cap_relative_to_base")
    if cap is not None:
        try:
            cap = float(cap)
        except (TypeError, ValueError):
            raise _fail(path, where, msg("key_cap_not_number", raw=str(cap))) from None
        if not 0 <= cap <= 1:
            raise _fail(path, where, msg("key_cap_range"))
    return Component(indicator=str(raw["indicator"]), periods=tuple(str(p) for p in periods_raw),
                     aggregate=aggregate,
                     per_capita_of=str(raw["per_capita_of"]) if raw.get("per_capita_of") else None,
                     weight=weight, transform=transform, cap_relative_to_base=cap, missing=missing)


def _load_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise KeyDefinitionError(msg("file_not_utf8_save", where=str(path))) from None
    if not text.strip():
        raise KeyDefinitionError(msg("key_file_empty", where=str(path)))
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (msg("file_at_line_column", path=str(path), line=mark.line + 1,
                     column=mark.column + 1) if mark is not None else str(path))
        problem = getattr(exc, "problem", None) or str(exc)
        raise KeyDefinitionError(msg("file_bad_yaml", where=where, problem=str(problem))) from None
    if not isinstance(raw, dict):
        raise KeyDefinitionError(msg("key_not_mapping", where=str(path)))
    return raw


def parse_key(path: Path) -> KeyDefinition:
    """Read and check a key file; every problem names the file and the place in it."""
    raw = _load_yaml(path)
    for needed in ("id", "label", "references", "versions"):
        if needed not in raw:
            raise _fail(path, msg("key_where_top"), msg("key_missing_field", field=needed))
    refs_raw = raw["references"]
    if not isinstance(refs_raw, list) or not refs_raw:
        raise _fail(path, "references", msg("key_no_references"))
    refs = []
    for i, r in enumerate(refs_raw, start=1):
        if not isinstance(r, dict) or not r.get("title") or not r.get("url"):
            raise _fail(path, msg("key_where_reference", n=i), msg("key_reference_fields"))
        refs.append(Reference(title=str(r["title"]), url=str(r["url"]),
                              title_fr=str(r.get("title_fr") or "")))
    versions_raw = raw["versions"]
    if not isinstance(versions_raw, list) or not versions_raw:
        raise _fail(path, "versions", msg("key_no_versions"))
    versions = []
    for i, v in enumerate(versions_raw, start=1):
        where = msg("key_where_version", n=i)
        if not isinstance(v, dict) or "effective" not in v or "components" not in v:
            raise _fail(path, where, msg("key_version_fields"))
        comps_raw = v["components"]
        if not isinstance(comps_raw, list) or not comps_raw:
            raise _fail(path, where, msg("key_components_not_list"))
        comps = tuple(_component(path, msg("key_where_component", where=where, n=j), c)
                      for j, c in enumerate(comps_raw, start=1))
        total = math.fsum(c.weight for c in comps)
        if abs(total - 1.0) > 1e-9:
            raise _fail(path, where, msg("key_weights_sum", total=_g(total),
                                         weights=joined(PLUSES, [_g(c.weight) for c in comps])))
        effective = _as_date(path, msg("key_where_effective", where=where), v["effective"])
        versions.append(KeyVersion(effective=effective, components=comps))
    versions.sort(key=lambda v: v.effective)
    for a, b in itertools.pairwise(versions):
        if a.effective == b.effective:
            raise _fail(path, "versions", msg("key_versions_same_day", date=str(a.effective)))
    description = " ".join(str(raw.get("description", "")).split())
    return KeyDefinition(id=str(raw["id"]), label=str(raw["label"]), description=description,
                         label_fr=str(raw.get("label_fr") or raw["label"]),
                         description_fr=" ".join(str(raw.get("description_fr") or description).split()),
                         federation=str(raw.get("federation", "any")),
                         unit=str(raw.get("unit", "share")), references=tuple(refs),
                         versions=tuple(versions), path=path)
