"""Holdout evaluation and fairness audit of a trained outcome model, with the back-test.

Metrics on the held-out cohort (the model card's holdout rule re-applied to the data given):
AUC, Brier score and calibration (ten quantile bins), overall and by audit group (sex, age band,
region of origin, language, family type) with bootstrap 95% intervals from fairlearn's
``MetricFrame``. On synthetic data the generating model's own AUC on the same rows (the oracle,
the best achievable) is reported beside the model's. For ``earnings_band`` the binary target is
"mid or high band".
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairshare.errors import InputError
from fairshare.i18n import Num, msg
from fairshare.outcomes.backtest import Cohort, run_backtest
from fairshare.outcomes.train import OUTCOMES, OutcomeModel, holdout_mask

FloatArray = npt.NDArray[np.float64]
CI = (0.025, 0.975)


def binary_target(frame: pd.DataFrame, outcome: str) -> npt.NDArray[np.int64]:
    """0/1 target of an outcome (earnings: mid or high band)."""
    if outcome == "earnings_band":
        good: npt.NDArray[np.int64] = np.asarray(frame[outcome].isin(["mid", "high"]),
                                                 dtype=np.int64)
        return good
    values: npt.NDArray[np.int64] = np.asarray(frame[outcome], dtype=np.int64)
    return values


def safe_auc(y_true: Any, y_score: Any) -> float:
    """ROC AUC (Mann-Whitney, ties averaged); NaN when only one class is present.

    >>> safe_auc([0, 1, 1], [0.1, 0.4, 0.3])
    1.0
    """
    from scipy.stats import rankdata

    y = np.asarray(y_true)
    pos = y == 1
    n_pos = int(pos.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(np.asarray(y_score, dtype=float))
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def brier(y_true: Any, y_score: Any) -> float:
    """Mean squared error of probabilities."""
    return float(np.mean((np.asarray(y_score, dtype=float) - np.asarray(y_true, dtype=float)) ** 2))


def mean_predicted(y_true: Any, y_score: Any) -> float:
    """Mean predicted probability."""
    del y_true
    return float(np.mean(y_score))


def observed_rate(y_true: Any, y_score: Any) -> float:
    """Observed outcome rate."""
    del y_score
    return float(np.mean(y_true))


def calibration_gap(y_true: Any, y_score: Any) -> float:
    """Calibration in the large: mean predicted minus observed rate."""
    return float(np.mean(y_score) - np.mean(y_true))


def calibration_bins(y: Any, p: FloatArray, bins: int = 10) -> list[dict[str, float]]:
    """Mean predicted vs observed rate in quantile bins of the prediction."""
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    yy = np.asarray(y, dtype=float)
    out = []
    for b in range(len(edges) - 1):
        mask = idx == b
        if mask.any():
            out.append({"predicted": round(float(p[mask].mean()), 5),
                        "observed": round(float(yy[mask].mean()), 5), "count": int(mask.sum())})
    return out


def _round(value: Any) -> Any:
    value = float(value)
    return None if np.isnan(value) else round(value, 5)


METRICS = {"auc": safe_auc, "brier": brier, "calibration_gap": calibration_gap,
           "mean_predicted": mean_predicted, "observed_rate": observed_rate}


def weighted_auc(y: npt.NDArray[Any], p: FloatArray, weights: FloatArray) -> FloatArray:
    """AUC of each row of bootstrap ``weights`` (B, m) at once (ties count one half).

    >>> y = np.array([0, 0, 1, 1]); p = np.array([0.1, 0.4, 0.35, 0.8])
    >>> float(weighted_auc(y, p, np.ones((1, 4)))[0])
    0.75
    """
    from scipy.sparse import csr_matrix

    values, group = np.unique(p, return_inverse=True)
    onehot = csr_matrix((np.ones(len(p)), (np.arange(len(p)), group)),
                        shape=(len(p), len(values)))
    pos = (y == 1).astype(float)
    w_neg = weights * (1.0 - pos)
    neg_by_value = np.asarray((onehot.T @ w_neg.T).T)      # (B, G)
    below = np.cumsum(neg_by_value, axis=1) - neg_by_value  # strictly lower predictions
    credit = below[:, group] + 0.5 * neg_by_value[:, group]  # (B, m)
    w_pos = weights * pos
    total = w_pos.sum(axis=1) * w_neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(total > 0, (w_pos * credit).sum(axis=1) / total, np.nan)
    return out


def _bootstrap_ci(y: npt.NDArray[Any], p: FloatArray, n_boot: int,
                  rng: np.random.Generator) -> dict[str, list[Any]]:
    """Percentile bootstrap intervals of every metric for one group (rows resampled).

    Each bootstrap sample is stored as counts over the group's rows, so every metric (AUC
    included) is computed for all samples at once.
    """
    m = len(y)
    draws = rng.integers(0, m, size=(n_boot, m))
    weights = np.vstack([np.bincount(row, minlength=m) for row in draws]).astype(np.float64)
    yy = y.astype(np.float64)
    mean_p, mean_y = weights @ p / m, weights @ yy / m
    values = {"brier": weights @ (p - yy) ** 2 / m, "mean_predicted": mean_p,
              "observed_rate": mean_y, "calibration_gap": mean_p - mean_y,
              "auc": weighted_auc(y, p, weights)}
    out = {}
    for name, v in values.items():
        v = v[~np.isnan(v)]
        out[name] = ([_round(q) for q in np.quantile(v, CI)] if len(v) else [None, None])
    return out


def group_metrics(y: Any, p: FloatArray, frame: pd.DataFrame, dimensions: tuple[str, ...],
                  *, n_boot: int, seed: int, fairlearn_bootstrap: bool = False
                  ) -> list[dict[str, Any]]:
    """Per-group AUC, Brier, calibration gap and rates with bootstrap 95% intervals.

    Point estimates come from fairlearn's ``MetricFrame``. Intervals: by default a vectorised
    percentile bootstrap that resamples rows within each group (``n_boot`` samples); with
    ``fairlearn_bootstrap`` MetricFrame's own ``n_boot`` (resamples all rows; about 100 times
    slower, kept to cross-check).
    """
    from fairlearn.metrics import MetricFrame

    y_arr = np.asarray(y)
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for dim in dimensions:
        groups = frame[dim].astype(str).to_numpy()
        use_fl = fairlearn_bootstrap and n_boot > 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mf = MetricFrame(metrics=METRICS, y_true=y_arr, y_pred=p,
                             sensitive_features=pd.Series(groups, name=dim),
                             n_boot=n_boot if use_fl else None,
                             ci_quantiles=list(CI) if use_fl else None, random_state=seed)
        by_group = mf.by_group
        for value in by_group.index:
            mask = groups == value
            row: dict[str, Any] = {"dimension": dim, "group": str(value),
                                   "persons": int(mask.sum())}
            for name in METRICS:
                row[name] = _round(by_group.loc[value, name])
            if use_fl:
                lo, hi = mf.by_group_ci
                for name in METRICS:
                    row[f"{name}_ci"] = [_round(lo.loc[value, name]), _round(hi.loc[value, name])]
            elif n_boot > 0:
                for name, ci in _bootstrap_ci(y_arr[mask], p[mask], n_boot, rng).items():
                    row[f"{name}_ci"] = ci
            rows.append(row)
    return rows


def _oracle_scores(frame: pd.DataFrame, outcome: str) -> FloatArray:
    from fairshare.outcomes.synth import true_probabilities

    truth = true_probabilities(frame)
    at = np.array([truth.destinations.index(d) for d in frame["destination"]])
    rows = np.arange(len(frame))
    if outcome == "employed_1y":
        out: FloatArray = truth.employed[rows, at]
    elif outcome == "retained_1y":
        out = truth.retained[rows, at]
    else:
        out = truth.earnings[rows, at, 2:].sum(axis=1)
    return out


def build_cohort(model: OutcomeModel, frame: pd.DataFrame, *, truth: str,
                 max_families: int, seed: int) -> Cohort:
    """The held-out persons grouped by family, with predicted and true matrices."""
    fam_ids = np.array(sorted(frame["family_id"].astype(str).unique()), dtype=object)
    if len(fam_ids) > max_families:
        keep = set(np.random.default_rng(seed).choice(fam_ids, max_families, replace=False))
        frame = frame[frame["family_id"].isin(keep)]
        fam_ids = np.array(sorted(keep), dtype=object)
    frame = frame.sort_values(["family_id", "person_id"], kind="stable").reset_index(drop=True)
    dests = model.destinations
    unknown = sorted(set(frame["destination"]) - set(dests))
    if unknown:
        raise InputError(msg("eval_unknown_destinations", codes=", ".join(unknown)))
    lookup = {f: i for i, f in enumerate(fam_ids)}
    family_index = frame["family_id"].map(lookup).to_numpy(dtype=np.int64)
    first = frame.groupby("family_id", sort=True)["destination"].first()
    status_quo = np.array([dests.index(first[f]) for f in fam_ids], dtype=np.int64)
    predicted = model.predict_matrix(frame, dests)
    if truth == "generative":
        from fairshare.outcomes.synth import true_probabilities

        true = true_probabilities(frame, destinations=dests).employed
    else:
        true = predicted
    return Cohort(frame=frame, family_index=family_index, family_ids=tuple(fam_ids),
                  destinations=dests, status_quo=status_quo, predicted=predicted, truth=true)


def evaluate(model: OutcomeModel, frame: pd.DataFrame, *, truth: str = "generative",
             n_boot: int = 200, seed: int = 0, max_families: int = 20000,
             backtest: bool = True, fairlearn_bootstrap: bool = False) -> dict[str, Any]:
    """Holdout metrics, group metrics and the back-test, as one JSON-ready dictionary."""
    if truth not in ("generative", "model"):
        raise InputError(msg("eval_bad_truth", got=truth))
    hold = holdout_mask(frame, model.card)
    held = frame[hold].reset_index(drop=True)
    if len(held) < 20:
        raise InputError(msg("eval_too_few_held_out", n=Num(len(held)),
                                rule=model.card["holdout"]["rule"]))
    dims = tuple(model.card["registry"]["audit_groups"])
    outcomes: dict[str, Any] = {}
    groups: dict[str, Any] = {}
    for outcome in OUTCOMES:
        y = binary_target(held, outcome)
        p = model.predict(held, outcome)
        entry: dict[str, Any] = {"auc": _round(safe_auc(y, p)), "brier": _round(brier(y, p)),
                                 "observed_rate": _round(y.mean()),
                                 "mean_predicted": _round(p.mean()),
                                 "calibration": calibration_bins(y, p)}
        if truth == "generative":
            oracle = _oracle_scores(held, outcome)
            entry["oracle_auc"] = _round(safe_auc(y, oracle))
            entry["oracle_brier"] = _round(brier(y, oracle))
            entry["auc_gap"] = _round(entry["oracle_auc"] - entry["auc"])
        outcomes[outcome] = entry
        groups[outcome] = group_metrics(y, p, held, dims, n_boot=n_boot, seed=seed,
                                        fairlearn_bootstrap=fairlearn_bootstrap)
    result: dict[str, Any] = {
        "model_version": model.card.get("model_version"),
        "holdout": {"rule": model.card["holdout"]["rule"], "persons": len(held),
                    "families": int(held["family_id"].nunique())},
        "auc": outcomes["employed_1y"]["auc"],
        "oracle_auc": outcomes["employed_1y"].get("oracle_auc"),
        "auc_gap": outcomes["employed_1y"].get("auc_gap"),
        "brier": outcomes["employed_1y"]["brier"],
        "gain_vs_status_quo": None,
        "truth": truth,
        "outcomes": outcomes,
        "groups": groups,
        "bootstrap": {"samples": n_boot, "interval": list(CI),
                      "method": "fairlearn MetricFrame n_boot" if fairlearn_bootstrap else
                      "percentile, rows resampled within each group"},
    }
    if backtest:
        cohort = build_cohort(model, held, truth=truth, max_families=max_families, seed=seed)
        bt = run_backtest(cohort, dimensions=dims, seed=seed)
        bt["cohort"]["sampled_from_families"] = int(held["family_id"].nunique())
        bt["outcome"] = "employed_1y"
        result["backtest"] = bt
        result["gain_vs_status_quo"] = bt["gain_vs_status_quo"]
    return result
