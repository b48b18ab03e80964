"""Member x destination predictions, family matching scores and principal factors.

The matching engine reads a scores file ``family_id,destination,score`` (``fairshare match
--scores FILE``) of per-person scores in [0, 1]. Here a family's score is the MEAN over its
members of each member's predicted probability of the outcome (by default employment at one
year) in that destination (the engine multiplies by the family's size, so its objective is the
sum over members): every member counts, never "at least one member employed", which would
ignore women and children.

Principal factors (so explanations can name them) are computed by ablation at the person level:
for each predictor, the person's value is replaced by the training reference (the most common
category, or the median level) and the prediction recomputed; the factor's contribution is the
change in probability (actual minus reference). The largest absolute contributions are the
principal factors. The method is model-agnostic and exact for the model used.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairshare.errors import InputError
from fairshare.i18n import msg
from fairshare.outcomes.features import prepare
from fairshare.outcomes.train import OUTCOMES, OutcomeModel, load_model

OUTCOME_LABELS = {"employed_1y": "employed at one year",
                  "retained_1y": "still in the destination after one year",
                  "earnings_band": "earnings in the mid or high band at one year"}


def _model(model: OutcomeModel | str | Path) -> OutcomeModel:
    return model if isinstance(model, OutcomeModel) else load_model(model)


def _members(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    if "age_band" in frame.columns and "language" in frame.columns:
        return frame  # already prepared
    return prepare(frame, source=source, outcomes=False, need_destination=False)


def _check_outcome(outcome: str) -> None:
    if outcome not in OUTCOMES:
        raise InputError(msg("model_unknown_outcome", outcome=outcome, known=", ".join(OUTCOMES)))


def member_scores(model: OutcomeModel | str | Path, members: pd.DataFrame,
                  destinations: Sequence[str] | None = None, *, outcome: str = "employed_1y",
                  source: str = "members") -> pd.DataFrame:
    """Predicted probability of every member in every destination.

    Returns:
        Columns ``member_id, family_id, destination, score``, sorted by ids and destination.
    """
    _check_outcome(outcome)
    m = _model(model)
    frame = _members(members, source)
    dests = tuple(sorted(destinations or m.destinations))
    probs = m.predict_matrix(frame, dests, outcome)
    # The persons sorted, each with its destinations in order, are the rows sorted: a sort of
    # the persons x destinations rows is needed only to interleave a person listed twice.
    keys = frame[["family_id", "person_id"]].reset_index(drop=True)
    order = keys.sort_values(["family_id", "person_id"], kind="stable").index.to_numpy()
    rows = np.repeat(order, len(dests))  # taken from the columns as they are: no new strings
    out = pd.DataFrame({
        "member_id": frame["person_id"].array.take(rows),
        "family_id": frame["family_id"].array.take(rows),
        "destination": np.tile(np.array(dests, dtype=object), len(frame)),
        "score": np.round(probs[order].ravel(), 6)})
    if keys.duplicated().any():
        out = out.sort_values(["family_id", "member_id", "destination"],
                              kind="stable").reset_index(drop=True)
    return out


def scores_for(model_dir: OutcomeModel | str | Path, members_frame: pd.DataFrame,
               destinations: Sequence[str] | None = None, *,
               outcome: str = "employed_1y") -> pd.DataFrame:
    """Family matching scores per person: the mean over members of the predicted outcome.

    Args:
        model_dir: a directory written by ``fairshare outcomes train`` (or a loaded model).
        members_frame: one row per member with ``member_id`` (or ``person_id``), ``family_id``,
            ``age`` or ``birth_year``, ``english_level``, ``french_level``, ``education``,
            ``occupation_group`` (and ``sex``, ``region_of_origin``, ``family_type`` if known).
        destinations: destination codes to score (default: every destination the model knows).
        outcome: ``employed_1y`` (default), ``retained_1y`` or ``earnings_band``.

    Returns:
        Columns ``family_id, destination, score``: score in [0, 1] is the expected share of
        the family's adult members with the outcome (the sum over members divided by the
        members scored), sorted by family and destination. This is what the matching engine
        takes as a per-member score (``fairshare match --scores``); it multiplies by the
        family's size, so its objective is again the sum over members.
    """
    members = member_scores(model_dir, members_frame, destinations, outcome=outcome)
    return combine_family_scores(members, how="per-person")


def registry_scores(model: OutcomeModel, members: pd.DataFrame, destinations: Sequence[str],
                    family_ids: Sequence[str], *,
                    outcome: str = "employed_1y") -> dict[str, dict[str, float]]:
    """Per-person scores of every family in ``family_ids`` for the matching engine.

    ``members`` comes from :func:`fairshare.outcomes.features.members_from_claimants`. A value
    the model never saw (or a missing one) takes the model's training reference value (its most
    common category); a family without a member aged 18 or over gets, in each destination, the
    mean score of the adults scored there.

    Raises:
        InputError: a destination the model does not know.
    """
    prepared = prepare(members, source="registry claimants", outcomes=False,
                       need_destination=False)
    for name, cats in model_categories(model).items():
        if name in prepared.columns:
            known = prepared[name].astype(str).isin(cats)
            prepared.loc[~known, name] = model.encoder.references[name]
    table = scores_for(model, prepared, destinations, outcome=outcome)
    families = table["family_id"].astype(str).to_numpy(dtype=object)
    fids = families.tolist()
    dests = table["destination"].astype(str).tolist()
    values = table["score"].to_numpy(dtype=np.float64).tolist()
    # Rows come sorted by family: one dictionary per run of a family's rows.
    starts = (np.flatnonzero(families[1:] != families[:-1]) + 1).tolist()
    cuts = [0, *starts, len(fids)]
    out: dict[str, dict[str, float]] = {}
    for lo, hi in itertools.pairwise(cuts):
        if hi > lo:
            out.setdefault(fids[lo], {}).update(zip(dests[lo:hi], values[lo:hi], strict=True))
    means = {str(d): round(float(v), 6) for d, v in
             table.groupby("destination")["score"].mean().items()}
    return {fid: out[fid] if fid in out else {str(d): means[str(d)] for d in destinations}
            for fid in family_ids}  # the means copied only for a family without an adult


def model_categories(model: OutcomeModel) -> dict[str, tuple[str, ...]]:
    """The categories the model saw for each categorical predictor (destination excluded)."""
    return {k: v for k, v in model.encoder.categories.items() if k != "destination"}


def combine_family_scores(members: pd.DataFrame, *, how: str = "sum",
                          sizes: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Family scores from member scores.

    ``how="sum"``: the sum over members (expected number of members with the outcome).
    ``how="per-person"``: that sum divided by the family's size (``sizes``, e.g. from the
    matching families.csv, children included; default the members listed), which is in [0, 1].
    ``fairshare match`` multiplies a per-person score by the family size, so its objective is
    again exactly the sum over members.

    >>> m = pd.DataFrame({"family_id": ["F1", "F1"], "destination": ["QC", "QC"],
    ...                   "member_id": ["a", "b"], "score": [0.5, 0.25]})
    >>> combine_family_scores(m)["score"].tolist(), combine_family_scores(
    ...     m, how="per-person", sizes={"F1": 3})["score"].tolist()
    ([0.75], [0.25])
    """
    if how not in ("sum", "per-person"):
        raise InputError(msg("model_family_score", how=how))
    fam = members.groupby(["family_id", "destination"], sort=True)["score"].sum().reset_index()
    if how == "per-person":
        listed = members.groupby("family_id")["member_id"].nunique()
        counted = listed.reindex(fam["family_id"]).astype(np.float64).set_axis(fam.index)
        size = counted
        if sizes:  # the size given, else the members listed
            given = fam["family_id"].map(pd.Series(dict(sizes), dtype=np.float64))
            size = given.where(given.notna(), counted)
        too_small = fam[size < counted]
        if not too_small.empty:
            raise InputError(msg("model_family_too_small", family=str(too_small["family_id"].iloc[0])))
        fam["score"] = fam["score"] / size.astype(float)
    fam["score"] = fam["score"].round(6)
    return fam[["family_id", "destination", "score"]]


def principal_factors(model: OutcomeModel | str | Path, members: pd.DataFrame,
                      destination: str, *, outcome: str = "employed_1y", top: int = 3,
                      source: str = "members") -> pd.DataFrame:
    """The features that move each member's predicted outcome in ``destination`` the most.

    Returns:
        Columns ``member_id, family_id, destination, rank, feature, value, reference,
        contribution``
        (contribution = predicted probability with the member's value minus with the reference
        value; positive helps), ``top`` rows per member ordered by absolute contribution.
    """
    _check_outcome(outcome)
    m = _model(model)
    frame = _members(members, source).reset_index(drop=True).assign(destination=destination)
    base = m.predict(frame, outcome)
    rows: list[dict[str, Any]] = []
    features = [f for f in m.encoder.registry.predictors if f != "destination"]
    contributions = np.zeros((len(frame), len(features)))
    for j, name in enumerate(features):
        ref = m.encoder.references[name]
        changed = frame.assign(**{name: ref})
        contributions[:, j] = base - m.predict(changed, outcome)
    order = np.argsort(-np.abs(contributions), axis=1, kind="stable")[:, :top]
    for i in range(len(frame)):
        for rank, j in enumerate(order[i], start=1):
            name = features[j]
            rows.append({"member_id": frame.at[i, "person_id"],
                         "family_id": frame.at[i, "family_id"], "destination": destination,
                         "rank": rank, "feature": name, "value": frame.at[i, name],
                         "reference": m.encoder.references[name],
                         "contribution": round(float(contributions[i, j]), 5)})
    return pd.DataFrame(rows, columns=["member_id", "family_id", "destination", "rank", "feature",
                                       "value", "reference", "contribution"])


def describe_factors(factors: pd.DataFrame, outcome: str = "employed_1y") -> list[str]:
    """One plain sentence per factor row, e.g. for an explanation.

    >>> f = pd.DataFrame([{"member_id": "P1", "destination": "QC", "rank": 1,
    ...     "feature": "french_level", "value": 3, "reference": 0.0, "contribution": 0.31}])
    >>> describe_factors(f)[0].split(": ")[1]
    'french_level = 3 (reference 0.0) raises the probability of being employed at one year by 31 points'
    """
    label = OUTCOME_LABELS[outcome]
    out = []
    being = "" if outcome == "earnings_band" else "being "
    for r in factors.to_dict(orient="records"):
        verb = "raises" if float(r["contribution"]) >= 0 else "lowers"
        points = abs(float(r["contribution"])) * 100
        out.append(f"{r['member_id']} in {r['destination']}: {r['feature']} = {r['value']} "
                   f"(reference {r['reference']}) {verb} the probability of {being}{label} by "
                   f"{points:.0f} points")
    return out
