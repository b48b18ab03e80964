"""Synthetic history of placed asylum claimants, drawn from a documented generative model.

The parameters live in ``generative.yaml`` beside this module (each block says whether it is
calibrated to a published aggregate, with the citation, or an assumption). Because the model is
known, :func:`true_probabilities` gives the true probability of every outcome for every person
in every destination: the oracle against which trained models and placement plans are judged.

Model (logit scale, person *i*, destination *d*):

- employed: ``intercept + age_band + female + education + family_type + base[d]
  + english_weight[d] * english/3 + french_weight[d] * french/3 + demand[occupation, d]``,
  where ``base[d] = unemployment_slope * (LFS rate of d - claims-weighted national rate)``;
- earnings band (ordered logit among the employed) on education, sex, ``wage_level[d]`` and the
  language fit ``(english_weight[d]*english/3 + french_weight[d]*french/3) / 3`` (clipped to 1);
- retained: ``base[d] + employed + language_fit + family_with_children``, so the true retention
  probability mixes the employed and not-employed cases.

>>> frame = generate_history(200, seed=1)
>>> list(frame.columns) == list(HISTORY_COLUMNS)
True
>>> len(frame), frame["person_id"].is_unique
(200, True)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from fairshare.errors import InputError
from fairshare.i18n import Num, msg
from fairshare.vocabulary import check_covers, load_vocabulary

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

HISTORY_COLUMNS = (
    "person_id", "family_id", "arrival_year", "birth_year", "age", "sex", "english_level",
    "french_level", "education", "occupation_group", "region_of_origin", "family_type",
    "children", "destination", "employed_1y", "earnings_band", "retained_1y",
)
OUTCOME_COLUMNS = ("employed_1y", "earnings_band", "retained_1y")
FAMILY_TYPES = ("single", "couple", "couple_with_children", "single_parent")
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64")
AGE_LIMITS = ((18, 24), (25, 34), (35, 44), (45, 54), (55, 64))


def age_band_of(age: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Age band label of each age (ages outside 18-64 are clipped to the nearest band).

    >>> list(age_band_of([18, 30, 70]))
    ['18-24', '25-34', '55-64']
    """
    ages = np.asarray(age, dtype=np.float64)
    idx = np.searchsorted(np.array([25, 35, 45, 55]), ages, side="right")
    return np.array(AGE_BANDS, dtype=object)[idx]


def _sigmoid(x: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return out


@dataclass(frozen=True)
class GenerativeModel:
    """The parsed generative model: arrays indexed by destination and category codes."""

    path: str
    raw: dict[str, Any]
    destinations: tuple[str, ...]
    education_levels: tuple[str, ...]
    occupation_groups: tuple[str, ...]
    regions: tuple[str, ...]
    base: FloatArray              # (D,) employment main effect of each destination
    english_weight: FloatArray    # (D,)
    french_weight: FloatArray     # (D,)
    demand: FloatArray            # (occupations, D)
    wage_level: FloatArray        # (D,)
    retention_base: FloatArray    # (D,)
    claims_share: dict[int, FloatArray]  # year -> (D,) share of claims

    @property
    def version(self) -> str:
        """The model's version string (from the YAML file)."""
        return str(self.raw["version"])


def _by_destination(block: dict[str, Any], codes: tuple[str, ...], where: str) -> FloatArray:
    missing = [c for c in codes if c not in block]
    if missing:
        raise InputError(msg("gen_model_no_value", where=where, missing=", ".join(missing)))
    return np.array([float(block[c]) for c in codes])


def load_generative(path: str | Path | None = None) -> GenerativeModel:
    """Load and check a generative model file (default: the shipped ``generative.yaml``)."""
    text_path = str(path) if path else ""
    try:
        return _load_cached(text_path)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(msg("gen_model_malformed", path=text_path or "generative.yaml",
                                problem=f"{type(exc).__name__}: {exc}")) from exc


@functools.cache
def _load_cached(path: str) -> GenerativeModel:
    from fairshare.reference import load_federation

    if path:
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(msg("gen_model_unreadable", path=path, problem=str(exc))) from exc
    else:
        raw = yaml.safe_load(resources.files("fairshare.outcomes").joinpath(
            "generative.yaml").read_text(encoding="utf-8"))
        path = "fairshare/outcomes/generative.yaml"
    fed = load_federation()
    codes = fed.codes
    emp = raw["employment"]
    claims_weights = np.zeros(len(codes))
    claims_share: dict[int, FloatArray] = {}
    for year in raw["cohorts"]["years"]:
        claims = fed.values(raw["cohorts"]["claims_indicator"], str(year))
        share = np.array([max(claims.get(c, 0.0), 0.0) for c in codes])
        claims_weights += share
        claims_share[int(year)] = share / share.sum()
    unemployment = fed.values("unemployment", "2024")
    known = [i for i, c in enumerate(codes) if c in unemployment]
    rates = np.array([unemployment.get(c, np.nan) for c in codes])
    national = float(np.average(rates[known], weights=claims_weights[known]))
    base = np.full(len(codes), float(emp["territory_effect"]))
    base[known] = float(emp["unemployment_slope"]) * (rates[known] - national)
    vocabulary = load_vocabulary()  # education levels and occupation groups, defined once
    occupations, education = vocabulary.occupation_groups, vocabulary.education
    check_covers(emp["occupation_demand"], occupations,
                 where=msg("gen_model_at", path=path, part="occupation_demand"))
    check_covers(raw["occupation_by_education"], education,
                 where=msg("gen_model_at", path=path, part="occupation_by_education"))
    for block in (emp["education"], raw["earnings"]["education"]):
        check_covers(block, education, where=msg("gen_model_education_effects", path=path))
    for name, region in raw["regions"].items():
        if len(region["education"]) != len(education):
            raise InputError(msg("gen_model_probabilities", where=msg(
                "gen_model_at", path=path, part=f"regions.{name}.education"),
                n=Num(len(education)), names=", ".join(education)))
    for name, row in raw["occupation_by_education"].items():
        if len(row) != len(occupations):
            raise InputError(msg("gen_model_probabilities", where=msg(
                "gen_model_at", path=path, part=f"occupation_by_education.{name}"),
                n=Num(len(occupations)), names=", ".join(occupations)))
    demand = np.vstack([_by_destination(emp["occupation_demand"][o], codes,
                                        f"employment.occupation_demand.{o}")
                        for o in occupations])
    return GenerativeModel(
        path=path, raw=raw, destinations=codes,
        education_levels=education, occupation_groups=occupations,
        regions=tuple(raw["regions"]), base=base,
        english_weight=_by_destination(emp["english_weight"], codes, "employment.english_weight"),
        french_weight=_by_destination(emp["french_weight"], codes, "employment.french_weight"),
        demand=demand,
        wage_level=_by_destination(raw["earnings"]["wage_level"], codes, "earnings.wage_level"),
        retention_base=_by_destination(raw["retention"]["base"], codes, "retention.base"),
        claims_share=claims_share)


@dataclass(frozen=True)
class TrueOutcomes:
    """True outcome probabilities of persons (rows) in destinations (columns)."""

    destinations: tuple[str, ...]
    employed: FloatArray   # (n, D)
    retained: FloatArray   # (n, D)
    earnings: FloatArray   # (n, D, 4): none, low, mid, high
    retention_logit0: FloatArray  # (n, D): retention logit of a person not employed


def _codes(values: pd.Series[Any], labels: tuple[str, ...], column: str) -> IntArray:
    lookup = {v: i for i, v in enumerate(labels)}
    mapped = values.astype(str).map(lookup)
    if mapped.isna().any():
        bad = sorted(set(values.astype(str)[mapped.isna()]))[:5]
        raise InputError(msg("column_unknown_values", column=column, bad=bad,
                                labels=", ".join(labels)))
    out: IntArray = np.asarray(mapped.to_numpy(), dtype=np.int64)
    return out


def true_probabilities(persons: pd.DataFrame, destinations: tuple[str, ...] | None = None,
                       model: GenerativeModel | None = None) -> TrueOutcomes:
    """The generating model's probabilities for every person in every destination."""
    gm = model or load_generative()
    dests = destinations or gm.destinations
    col = np.array([gm.destinations.index(d) for d in dests])
    raw = gm.raw
    emp = raw["employment"]
    band = _codes(pd.Series(age_band_of(persons["age"].to_numpy())), AGE_BANDS, "age")
    edu = _codes(persons["education"], gm.education_levels, "education")
    fam = _codes(persons["family_type"], FAMILY_TYPES, "family_type")
    occ = _codes(persons["occupation_group"], gm.occupation_groups, "occupation_group")
    female = (persons["sex"].astype(str) == "F").to_numpy(dtype=np.float64)
    eng = persons["english_level"].to_numpy(dtype=np.float64) / 3.0
    fre = persons["french_level"].to_numpy(dtype=np.float64) / 3.0

    person = (float(emp["intercept"])
              + np.array([emp["age_band"][b] for b in AGE_BANDS], dtype=np.float64)[band]
              + float(emp["female"]) * female
              + np.array([emp["education"][e] for e in gm.education_levels])[edu]
              + np.array([emp["family_type"][f] for f in FAMILY_TYPES])[fam])
    ew, fw = gm.english_weight[col], gm.french_weight[col]
    logit = (person[:, None] + gm.base[col][None, :] + eng[:, None] * ew[None, :]
             + fre[:, None] * fw[None, :] + gm.demand[occ][:, col])
    p_emp = _sigmoid(logit)
    fit = np.clip((eng[:, None] * ew[None, :] + fre[:, None] * fw[None, :]) / 3.0, 0.0, 1.0)

    ear = raw["earnings"]
    eta = (np.array([ear["education"][e] for e in gm.education_levels])[edu][:, None]
           + float(ear["female"]) * female[:, None] + gm.wage_level[col][None, :]
           + float(ear["language_fit"]) * fit)
    c1, c2 = (float(c) for c in ear["cutpoints"])
    low = _sigmoid(c1 - eta)
    low_or_mid = _sigmoid(c2 - eta)
    earnings = np.stack([1.0 - p_emp, p_emp * low, p_emp * (low_or_mid - low),
                         p_emp * (1.0 - low_or_mid)], axis=2)

    ret = raw["retention"]
    with_children = np.isin(fam, [FAMILY_TYPES.index("couple_with_children"),
                                  FAMILY_TYPES.index("single_parent")]).astype(np.float64)
    r0 = (gm.retention_base[col][None, :] + float(ret["language_fit"]) * fit
          + float(ret["family_with_children"]) * with_children[:, None])
    retained = p_emp * _sigmoid(r0 + float(ret["employed"])) + (1.0 - p_emp) * _sigmoid(r0)
    return TrueOutcomes(destinations=tuple(dests), employed=p_emp, retained=retained,
                        earnings=earnings, retention_logit0=r0)


def _draw(rng: np.random.Generator, probs: FloatArray, size: int) -> IntArray:
    """Draw ``size`` category indices from one probability vector."""
    p = np.asarray(probs, dtype=np.float64)
    out: IntArray = np.searchsorted(np.cumsum(p / p.sum()), rng.random(size), side="right")
    return np.minimum(out, len(p) - 1).astype(np.int64)


def _draw_rows(rng: np.random.Generator, probs: FloatArray) -> IntArray:
    """Draw one category per row of a (n, k) probability matrix."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    out: IntArray = np.minimum((rng.random((len(probs), 1)) > cum).sum(axis=1),
                               probs.shape[1] - 1).astype(np.int64)
    return out


def generate_history(n_persons: int, seed: int,
                     model: GenerativeModel | None = None) -> pd.DataFrame:
    """Draw ``n_persons`` adults (18-64) of placed claimant families with their outcomes.

    Deterministic: the same ``n_persons``, ``seed`` and model give the same frame.
    """
    if n_persons < 1:
        raise InputError(msg("error_persons_min", got=n_persons))
    gm = model or load_generative()
    raw = gm.raw
    rng = np.random.default_rng(seed)
    fams = raw["families"]
    n_fam = n_persons  # an upper bound: every family has at least one adult
    ftype = _draw(rng, np.array([fams["type_shares"][t] for t in FAMILY_TYPES]), n_fam)
    adult_child = (ftype == 2) & (rng.random(n_fam) < float(fams["adult_child_probability"]))
    adults = np.where(np.isin(ftype, [1, 2]), 2, 1) + adult_child
    cum = np.cumsum(adults)
    n_fam = int(np.searchsorted(cum, n_persons) + 1)
    ftype, adults, adult_child = ftype[:n_fam], adults[:n_fam].copy(), adult_child[:n_fam]
    adults[-1] -= int(cum[n_fam - 1] - n_persons)

    years = np.array(sorted(gm.claims_share), dtype=np.int64)
    fed_claims = np.array([float(np.sum(raw_claims)) for raw_claims in
                           (_claims_total(gm, int(y)) for y in years)])
    fyear = years[_draw(rng, fed_claims, n_fam)]
    region_shares = np.array([raw["regions"][r]["share"] for r in gm.regions])
    fregion = _draw(rng, region_shares, n_fam)
    children = np.zeros(n_fam, dtype=np.int64)
    for t, name in enumerate(FAMILY_TYPES):
        mean = float(fams["children_mean"][name])
        mask = ftype == t
        if mean > 0:
            children[mask] = 1 + rng.poisson(mean - 1.0, int(mask.sum()))

    fam_idx = np.repeat(np.arange(n_fam), adults)
    rank = np.arange(len(fam_idx)) - np.repeat(np.cumsum(adults) - adults, adults)
    n = len(fam_idx)
    ptype, pregion = ftype[fam_idx], fregion[fam_idx]
    is_adult_child = adult_child[fam_idx] & (rank == 2)
    band = _draw(rng, np.array([raw["age_bands"][b] for b in AGE_BANDS]), n)
    band[is_adult_child] = 0
    lo = np.array([a for a, _ in AGE_LIMITS])[band]
    hi = np.array([b for _, b in AGE_LIMITS])[band]
    age = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    female = rng.random(n) < 1.0 - float(fams["single_male_share"])
    female = np.where(ptype == 3, rng.random(n) < float(fams["single_parent_female_share"]), female)
    couple = np.isin(ptype, [1, 2]) & (rank < 2)
    first_female = rng.random(n_fam) < 0.5
    female = np.where(couple, first_female[fam_idx] ^ (rank == 1), female)

    def by_region(key: str) -> IntArray:
        table = np.array([raw["regions"][r][key] for r in gm.regions], dtype=np.float64)
        return _draw_rows(rng, table[pregion])

    english, french, education = by_region("english"), by_region("french"), by_region("education")
    occ_table = np.array([raw["occupation_by_education"][e] for e in gm.education_levels])
    occupation = _draw_rows(rng, occ_table[education])

    sq = raw["status_quo"]
    d_count = len(gm.destinations)
    base_share = np.vstack([gm.claims_share[int(y)] for y in fyear])
    share = (1.0 - float(sq["uniform_mix"])) * base_share + float(sq["uniform_mix"]) / d_count
    french_family = np.zeros(n_fam, dtype=bool)
    np.logical_or.at(french_family, fam_idx, french >= 2)
    qc = gm.destinations.index("QC") if "QC" in gm.destinations else -1
    if qc >= 0:
        share[french_family, qc] *= float(sq["french_speaker_quebec_odds"])
    fdest = _draw_rows(rng, share)

    frame = pd.DataFrame({
        "person_id": [f"P{i + 1:07d}" for i in range(n)],
        "family_id": [f"F{i + 1:07d}" for i in fam_idx],
        "arrival_year": fyear[fam_idx],
        "birth_year": fyear[fam_idx] - age,
        "age": age,
        "sex": np.where(female, "F", "M"),
        "english_level": english,
        "french_level": french,
        "education": np.array(gm.education_levels, dtype=object)[education],
        "occupation_group": np.array(gm.occupation_groups, dtype=object)[occupation],
        "region_of_origin": np.array(gm.regions, dtype=object)[pregion],
        "family_type": np.array(FAMILY_TYPES, dtype=object)[ptype],
        "children": children[fam_idx],
        "destination": np.array(gm.destinations, dtype=object)[fdest[fam_idx]],
    })
    truth = true_probabilities(frame, model=gm)
    rows = np.arange(n)
    at = fdest[fam_idx]
    p_emp = truth.employed[rows, at]
    employed = rng.random(n) < p_emp
    ear = truth.earnings[rows, at, :]
    cond = ear[:, 1:] / np.maximum(p_emp, 1e-12)[:, None]
    band_if_employed = 1 + _draw_rows(rng, np.maximum(cond, 1e-12))
    earnings = np.where(employed, band_if_employed, 0)
    # retention conditional on the drawn employment state
    r0 = truth.retention_logit0[rows, at]
    bonus = float(raw["retention"]["employed"])
    retained = rng.random(n) < _sigmoid(np.where(employed, r0 + bonus, r0))
    frame["employed_1y"] = employed.astype(np.int64)
    frame["earnings_band"] = np.array(raw["earnings"]["bands"], dtype=object)[earnings]
    frame["retained_1y"] = retained.astype(np.int64)
    return frame[list(HISTORY_COLUMNS)]


def _claims_total(gm: GenerativeModel, year: int) -> float:
    from fairshare.reference import load_federation

    values = load_federation().values(gm.raw["cohorts"]["claims_indicator"], str(year))
    return float(sum(max(v, 0.0) for v in values.values()))
