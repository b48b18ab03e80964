"""The approved feature registry, input checks and the person x destination design matrix.

Only features listed in the registry (``features.yaml``) enter a model; protected attributes
(sex, region of origin) are audit-only unless the registry makes them predictors.

>>> reg = load_registry()
>>> reg.predictors[:3]
('age_band', 'education', 'occupation_group')
>>> "sex" in reg.predictors, "sex" in reg.protected
(False, True)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from fairshare.errors import InputError
from fairshare.i18n import msg
from fairshare.outcomes.synth import AGE_BANDS, OUTCOME_COLUMNS, age_band_of
from fairshare.vocabulary import load_vocabulary

FloatArray = npt.NDArray[np.float64]

#: Columns a registry feature may come from (history / members files), and derived features.
KNOWN_FEATURES = frozenset({
    "age_band", "age", "education", "occupation_group", "family_type", "english_level",
    "french_level", "destination", "sex", "region_of_origin", "children", "language",
})
KINDS = ("categorical", "ordinal")
LEVEL_RANGE = (0, 3)
EARNINGS_BANDS = ("none", "low", "mid", "high")
PERSON_COLUMNS = ("person_id", "family_id", "sex", "english_level", "french_level",
                  "education", "occupation_group", "region_of_origin", "family_type")
#: What prediction needs (sex and region of origin are audit-only: not asked for).
PREDICT_COLUMNS = ("person_id", "family_id", "english_level", "french_level", "education",
                   "occupation_group")
_VOCABULARY = load_vocabulary()
#: Language levels may be given as 0-3 or as the vocabulary's CEFR levels (and their aliases).
LEVEL_LABELS = {"none": 0, "0": 0, "1": 1, "2": 2, "3": 3,
                **{level.lower(): _VOCABULARY.model_level(level)
                   for level in _VOCABULARY.accepted_levels()}}
#: Education labels of history files written before the shared vocabulary.
EDUCATION_ALIASES = {"postsecondary": "post-secondary", "university": "tertiary"}
#: Features the registry can supply for a model (from the claimants it stores): others, such
#: as region_of_origin, make `fairshare models add` refuse the model.
REGISTRY_FEATURES = frozenset({"age_band", "age", "education", "occupation_group",
                               "family_type", "english_level", "french_level", "destination",
                               "sex", "children", "language"})


@dataclass(frozen=True)
class FeatureSpec:
    """One registry entry."""

    name: str
    kind: str
    predictor: bool
    protected: bool
    description: str


@dataclass(frozen=True)
class Registry:
    """The parsed feature registry."""

    path: str
    version: str
    features: dict[str, FeatureSpec]
    interactions: tuple[tuple[str, str], ...]
    audit_groups: tuple[str, ...]
    model: dict[str, Any] = field(default_factory=dict)

    @property
    def predictors(self) -> tuple[str, ...]:
        """Names of the features used as predictors, in registry order."""
        return tuple(n for n, f in self.features.items() if f.predictor)

    @property
    def protected(self) -> tuple[str, ...]:
        """Names of the protected (audit) attributes."""
        return tuple(n for n, f in self.features.items() if f.protected)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary for the model card."""
        return {"path": self.path, "version": self.version, "predictors": list(self.predictors),
                "protected": list(self.protected),
                "protected_used_as_predictors": [n for n in self.protected
                                                 if self.features[n].predictor],
                "interactions": [list(i) for i in self.interactions],
                "audit_groups": list(self.audit_groups), "model": dict(self.model)}


def load_registry(path: str | Path | None = None) -> Registry:
    """Load and check a feature registry (default: the shipped ``features.yaml``)."""
    where = str(path) if path else "fairshare/outcomes/features.yaml"
    try:
        text = (Path(path).read_text(encoding="utf-8") if path else
                resources.files("fairshare.outcomes").joinpath("features.yaml")
                .read_text(encoding="utf-8"))
        raw = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(msg("features_cannot_read", where=where, problem=str(exc))) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("features"), dict):
        raise InputError(msg("features_needs_mapping", where=where))
    problems: list[str] = []
    features: dict[str, FeatureSpec] = {}
    for name, spec in raw["features"].items():
        spec = spec or {}
        if name not in KNOWN_FEATURES:
            problems.append(f"unknown feature '{name}' (known: {', '.join(sorted(KNOWN_FEATURES))})")
            continue
        kind = spec.get("kind", "categorical")
        if kind not in KINDS:
            problems.append(f"feature '{name}': kind '{kind}' is not one of {', '.join(KINDS)}")
        features[name] = FeatureSpec(name=name, kind=kind, predictor=bool(spec.get("predictor")),
                                     protected=bool(spec.get("protected")),
                                     description=str(spec.get("description", "")))
    interactions: list[tuple[str, str]] = []
    for pair in raw.get("interactions") or []:
        if not isinstance(pair, list) or len(pair) != 2:
            problems.append(f"interaction {pair!r} must be a pair [feature, feature]")
            continue
        for name in pair:
            if name not in features or not features[name].predictor:
                problems.append(f"interaction {pair}: '{name}' is not a predictor in the registry")
        interactions.append((str(pair[0]), str(pair[1])))
    audit = tuple(raw.get("audit_groups") or ())
    for name in audit:
        if name not in KNOWN_FEATURES:
            problems.append(f"audit group '{name}' is unknown")
    if "destination" not in features or not features["destination"].predictor:
        problems.append("'destination' must be a predictor (the model scores destinations)")
    model = dict(raw.get("model") or {})
    if model.get("estimator", "logistic") not in ("logistic", "hist_gradient_boosting"):
        problems.append(f"model.estimator '{model.get('estimator')}' is not logistic or "
                        "hist_gradient_boosting")
    if problems:
        raise InputError(msg("features_invalid", where=where), details=problems)
    return Registry(path=where, version=str(raw.get("version", "")), features=features,
                    interactions=tuple(interactions), audit_groups=audit, model=model)


def language_group(english: pd.Series[Any], french: pd.Series[Any]) -> pd.Series[Any]:
    """french_only / english_only / both / neither (level >= 2 counts as speaking it)."""
    e = english.to_numpy() >= 2
    f = french.to_numpy() >= 2
    out = np.where(e & f, "both", np.where(e, "english_only", np.where(f, "french_only",
                                                                        "neither")))
    return pd.Series(out, index=english.index, dtype=object)


def _bad_rows(mask: pd.Series[bool], frame: pd.DataFrame) -> str:
    rows = [str(int(i) + 2) for i in np.flatnonzero(mask.to_numpy())[:5]]
    del frame
    return ", ".join(rows)


def prepare(frame: pd.DataFrame, *, source: str, outcomes: bool, as_of_year: int = 2025,
            need_destination: bool = True) -> pd.DataFrame:
    """Check a history or members frame and add derived columns (age, age_band, language).

    Raises:
        InputError: naming the file, the column and the first offending rows (CSV line numbers).
    """
    if frame.empty:
        raise InputError(msg("outcomes_no_rows", where=source))
    frame = frame.rename(columns={"member_id": "person_id"})
    needed = list(PERSON_COLUMNS if outcomes else PREDICT_COLUMNS)
    if need_destination:
        needed.append("destination")
    if outcomes:
        needed += list(OUTCOME_COLUMNS)
    if "age" not in frame.columns and "birth_year" not in frame.columns:
        needed.append("age (or birth_year)")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(msg("outcomes_lacks_columns", where=source, missing=", ".join(missing)))
    out = frame.copy()
    for col in ("english_level", "french_level"):
        text = out[col].astype(str).str.strip().str.lower().str.removesuffix(".0")
        values = pd.to_numeric(text.map(LEVEL_LABELS), errors="coerce")
        bad = values.isna() | (values < LEVEL_RANGE[0]) | (values > LEVEL_RANGE[1]) | \
            (values != values.round())
        if bad.any():
            raise InputError(msg("outcomes_bad_level", where=source, column=col,
                                 lines=_bad_rows(bad, out)))
        out[col] = values.astype(np.int64)
    if "age" in out.columns:
        age = pd.to_numeric(out["age"], errors="coerce")
        col = "age"
    else:
        birth = pd.to_numeric(out["birth_year"], errors="coerce")
        ref = (pd.to_numeric(out["arrival_year"], errors="coerce")
               if "arrival_year" in out.columns else pd.Series(as_of_year, index=out.index))
        age = ref - birth
        col = "birth_year"
    if age.isna().any():
        raise InputError(msg("outcomes_bad_number", where=source, column=col,
                             lines=_bad_rows(age.isna(), out)))
    out["age"] = age.astype(np.int64)
    for col in ("sex", "region_of_origin"):
        if col not in out.columns:
            out[col] = "unknown"
    if "family_type" not in out.columns:
        out["family_type"] = _family_types(out)
    if not outcomes:
        out = out[out["age"] >= 18].reset_index(drop=True)  # outcomes concern adults
        if out.empty:
            raise InputError(msg("outcomes_no_adult", where=source))
    out["age_band"] = age_band_of(out["age"].to_numpy())
    for col in ("sex", "education", "occupation_group", "region_of_origin", "family_type",
                "person_id", "family_id"):
        out[col] = out[col].astype(str).str.strip()
    out["education"] = out["education"].replace(EDUCATION_ALIASES)
    if need_destination:
        out["destination"] = out["destination"].astype(str).str.strip()
    out["language"] = language_group(out["english_level"], out["french_level"])
    if outcomes:
        for col in ("employed_1y", "retained_1y"):
            values = pd.to_numeric(out[col], errors="coerce")
            bad = ~values.isin([0, 1])
            if bad.any():
                raise InputError(msg("outcomes_bad_binary", where=source, column=col,
                                     lines=_bad_rows(bad, out)))
            out[col] = values.astype(np.int64)
        band = out["earnings_band"].astype(str).str.strip()
        bad = ~band.isin(EARNINGS_BANDS)
        if bad.any():
            raise InputError(msg("outcomes_bad_band", where=source, allowed=", ".join(EARNINGS_BANDS),
                                 lines=_bad_rows(bad, out)))
        out["earnings_band"] = band
    return out


def _family_types(frame: pd.DataFrame) -> pd.Series[Any]:
    """Family type from the members themselves: adults (18+) and children per family."""
    adult = frame["age"] >= 18
    adults = adult.groupby(frame["family_id"]).transform("sum")
    children = (~adult).groupby(frame["family_id"]).transform("sum")
    kind = np.where(children > 0, np.where(adults >= 2, "couple_with_children", "single_parent"),
                    np.where(adults >= 2, "couple", "single"))
    return pd.Series(kind, index=frame.index, dtype=object)


@dataclass(frozen=True)
class Encoder:
    """Turns prepared frames into design matrices, with categories fixed at training time."""

    registry: Registry
    categories: dict[str, tuple[str, ...]]
    references: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def fit(cls, frame: pd.DataFrame, registry: Registry) -> Encoder:
        """Learn categories and reference values (mode, or median) of the predictors."""
        cats: dict[str, tuple[str, ...]] = {}
        refs: dict[str, Any] = {}
        for name in registry.predictors:
            if registry.features[name].kind == "categorical":
                values = frame[name].astype(str)
                cats[name] = AGE_BANDS if name == "age_band" else tuple(sorted(values.unique()))
                counts = values.value_counts()
                refs[name] = str(min(counts[counts == counts.max()].index))
            else:
                refs[name] = float(frame[name].astype(float).median())
        return cls(registry=registry, categories=cats, references=refs)

    @property
    def destinations(self) -> tuple[str, ...]:
        """Destinations the model knows."""
        return self.categories["destination"]

    def _codes(self, frame: pd.DataFrame, name: str) -> npt.NDArray[np.int64]:
        """Each row's category index (categorical codes: one hash lookup per row, vectorised)."""
        cats = self.categories[name]
        values = frame[name].astype(str)
        codes = np.asarray(pd.Categorical(values, categories=list(cats)).codes, dtype=np.int64)
        if (codes < 0).any():
            bad = sorted(set(values[codes < 0]))[:5]
            raise InputError(msg("outcomes_unseen_values", column=name, values=str(bad),
                                 known=", ".join(cats)))
        return codes

    def column_names(self) -> list[str]:
        """Names of the one-hot / numeric columns of :meth:`design`."""
        names: list[str] = []
        for name in self.registry.predictors:
            if name in self.categories:
                names += [f"{name}={c}" for c in self.categories[name]]
            else:
                names.append(name)
        for a, b in self.registry.interactions:
            la = [f"{a}={c}" for c in self.categories[a]] if a in self.categories else [a]
            lb = [f"{b}={c}" for c in self.categories[b]] if b in self.categories else [b]
            names += [f"{x} x {y}" for x in la for y in lb]
        return names

    def _block(self, frame: pd.DataFrame, name: str) -> FloatArray:
        if name in self.categories:
            codes = self._codes(frame, name)
            block = np.zeros((len(frame), len(self.categories[name])))
            block[np.arange(len(frame)), codes] = 1.0
            return block
        return frame[name].to_numpy(dtype=np.float64).reshape(-1, 1)

    def _width(self, name: str) -> int:
        """How many columns :meth:`_block` gives ``name``."""
        return len(self.categories[name]) if name in self.categories else 1

    def _parts(self) -> list[tuple[str, ...]]:
        """The design's parts in column order: each predictor, then each interaction."""
        return [(n,) for n in self.registry.predictors] + list(self.registry.interactions)

    @staticmethod
    def _part(blocks: dict[str, FloatArray], part: tuple[str, ...], rows: int) -> FloatArray:
        if len(part) == 1:
            return blocks[part[0]]
        ba, bb = blocks[part[0]], blocks[part[1]]
        out: FloatArray = (ba[:, :, None] * bb[:, None, :]).reshape(rows, -1)
        return out

    def design(self, frame: pd.DataFrame) -> FloatArray:
        """One-hot / numeric design matrix with the registry's interactions (for logistic)."""
        blocks = {name: self._block(frame, name) for name in self.registry.predictors}
        return np.hstack([self._part(blocks, part, len(frame)) for part in self._parts()])

    def designs(self, frame: pd.DataFrame, column: str,
                values: Sequence[Any]) -> Iterator[FloatArray]:
        """:meth:`design` of ``frame.assign(column=value)`` for each of ``values`` in turn,
        equal to it entry for entry: the other predictors are encoded once and, for each value,
        only the columns of ``column``'s parts whose factor from ``column`` changed (two per
        interaction with a one-hot destination) are written again, the same products. The same
        array is yielded each time, changed in place: use it before asking for the next."""
        rows = len(frame)
        blocks = {name: self._block(frame, name) for name in self.registry.predictors
                  if name != column}
        parts: list[tuple[tuple[str, ...], tuple[int, int]]] = []
        for part in self._parts():
            lo = parts[-1][1][1] if parts else 0
            parts.append((part, (lo, lo + int(np.prod([self._width(n) for n in part])))))
        x: FloatArray = np.empty((rows, parts[-1][1][1]))
        for part, (lo, hi) in parts:
            if column not in part:
                x[:, lo:hi] = self._part(blocks, part, rows)
        last: npt.NDArray[np.uint64] | None = None
        for value in values:
            if column in self.registry.predictors:
                one = self._block(_constant(column, value, 1), column)
                bits = one[0].view(np.uint64)  # bit for bit: -0.0 and NaN count as changes
                changed = [int(k) for k in (np.flatnonzero(bits != last) if last is not None
                                            else range(len(bits)))]
                last = bits
                self._rewrite(x, blocks, column, one, changed, parts)
            yield x

    def _rewrite(self, x: FloatArray, blocks: dict[str, FloatArray], column: str,
                 one: FloatArray, changed: list[int],
                 parts: list[tuple[tuple[str, ...], tuple[int, int]]]) -> None:
        """Write again the parts of ``x`` holding ``column`` (its one-row block ``one``): in an
        interaction with another predictor, only the columns that ``column``'s ``changed``
        columns multiply."""
        for part, (lo, hi) in parts:
            if column not in part:
                continue
            if len(part) == 1 or part[0] == part[1]:
                x[:, lo:hi] = self._part({column: one}, part, 1)
                continue
            grid = x[:, lo:hi].reshape(len(x), self._width(part[0]), self._width(part[1]))
            for k in changed:
                if part[1] == column:
                    np.multiply(blocks[part[0]], one[0, k], out=grid[:, :, k])
                else:
                    np.multiply(one[0, k], blocks[part[1]], out=grid[:, k, :])

    def compact(self, frame: pd.DataFrame) -> FloatArray:
        """One column per predictor (category codes), for tree models that find interactions."""
        cols = [self._codes(frame, n).astype(np.float64) if n in self.categories
                else frame[n].to_numpy(dtype=np.float64) for n in self.registry.predictors]
        return np.column_stack(cols)

    def compacts(self, frame: pd.DataFrame, column: str,
                 values: Sequence[Any]) -> Iterator[FloatArray]:
        """:meth:`compact` of ``frame.assign(column=value)`` for each of ``values`` in turn
        (one array, its ``column`` column rewritten each time: use it before the next)."""
        predictors = self.registry.predictors
        if column not in predictors:
            x = self.compact(frame)
            for _ in values:
                yield x
            return
        at = predictors.index(column)
        x = self.compact(frame.assign(**{column: values[0]})) if len(values) else np.empty(0)
        for value in values:
            one = _constant(column, value, 1)
            x[:, at] = (self._codes(one, column).astype(np.float64) if column in self.categories
                        else one[column].to_numpy(dtype=np.float64))[0]
            yield x

    def categorical_mask(self) -> list[bool]:
        """Which columns of :meth:`compact` are categorical."""
        return [n in self.categories for n in self.registry.predictors]


def _constant(column: str, value: Any, rows: int) -> pd.DataFrame:
    """A one-column frame holding ``value`` on every row (what ``frame.assign`` would set)."""
    return pd.DataFrame({column: [value] * rows})


def members_from_claimants(rows: list[dict[str, Any]], *, year: int,
                           reference_age: int = 30) -> pd.DataFrame:
    """The model's members frame from registry claimants (vocabulary values).

    Each row has ``id``, ``family_id``, ``birth_year``, ``sex``, ``languages`` (pairs of
    language and CEFR level), ``education`` and ``occupation_group``. English and French levels
    become the model's 0-3 scale through the vocabulary; ``age`` is ``year - birth_year``
    (``reference_age`` when unknown); missing categories are left empty for the caller to fill.
    ``children`` counts the family's members under 18.

    >>> f = members_from_claimants([{"id": "c1", "family_id": "f1", "birth_year": 1990,
    ...     "sex": "F", "languages": [["fr", "B2"], ["en", "A1"]], "education": "tertiary",
    ...     "occupation_group": "health_care"}], year=2026)
    >>> f.loc[0, ["age", "english_level", "french_level", "children"]].tolist()
    [36, 1, 2, 0]
    """
    level_of: dict[str, int] = {}  # each distinct level text looked up once
    columns: dict[str, list[Any]] = {k: [] for k in (
        "person_id", "family_id", "age", "sex", "english_level", "french_level", "education",
        "occupation_group")}
    for r in rows:
        levels: dict[str, int] = {}
        for a, b in r.get("languages") or []:
            text = str(b)
            level = level_of.get(text)
            if level is None:
                level = level_of[text] = _VOCABULARY.model_level(text)
            levels[str(a).lower()[:2]] = level
        birth = r.get("birth_year")
        columns["person_id"].append(str(r["id"]))
        columns["family_id"].append(str(r["family_id"]))
        columns["age"].append((year - int(birth)) if birth is not None else reference_age)
        columns["sex"].append(r.get("sex") or "unknown")
        columns["english_level"].append(levels.get("en", 0))
        columns["french_level"].append(levels.get("fr", 0))
        columns["education"].append(r.get("education") or "")
        columns["occupation_group"].append(r.get("occupation_group") or "")
    frame = pd.DataFrame(columns)
    minors = (frame["age"] < 18).groupby(frame["family_id"]).transform("sum")
    frame["children"] = minors.astype(np.int64) if len(frame) else minors
    return frame
