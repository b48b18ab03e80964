"""Train one calibrated, cross-validated model per outcome and save it with a model card.

Outcomes: ``employed_1y`` (binary), ``retained_1y`` (binary) and ``earnings_band`` (four ordered
bands, modelled as multinomial classes). Each model sees person x destination features from the
approved registry only; it is wrapped in ``CalibratedClassifierCV`` (calibrated probabilities)
and scored by cross-validation on the training cohorts. The most recent arrival cohort is held
out for evaluation and the back-test (as GeoMatch did); without ``arrival_year`` a seeded 20% of
families is held out instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairshare.errors import InputError
from fairshare.i18n import msg
from fairshare.outcomes.features import EARNINGS_BANDS, Encoder, Registry, load_registry
from fairshare.privatefs import open_private, write_private_text

FloatArray = npt.NDArray[np.float64]
MODEL_FILE = "model.joblib"
CARD_FILE = "model_card.json"
FORMAT_VERSION = 1
OUTCOMES = ("employed_1y", "retained_1y", "earnings_band")
INTENDED_USE = (
    "Rank destinations for a consenting claimant family by each member's predicted outcome at "
    "one year (employment, earnings band, retention), as one input to a matching that a human "
    "reviews. Not for deciding claims, eligibility or any individual's rights.")
LIMITATIONS = [
    "Trained on the data given; on the shipped SYNTHETIC history the figures describe the "
    "synthetic world (docs/outcomes.md), not Canada.",
    "Destinations with few past placements get uncertain predictions (see counts by destination).",
    "Predictions are associations in past placements, not causal effects of a destination; past "
    "placement was not random.",
    "Protected attributes are excluded as predictors by default but proxies (language, "
    "occupation) remain: read the audit by group before use.",
    "Outcomes at one year only; later integration is not modelled.",
]


@dataclass
class OutcomeModel:
    """Fitted models for every outcome, their encoder and their model card."""

    encoder: Encoder
    estimators: dict[str, Any]
    card: dict[str, Any] = field(default_factory=dict)

    @property
    def destinations(self) -> tuple[str, ...]:
        """Destinations the model can score."""
        return self.encoder.destinations

    def matrix(self, frame: pd.DataFrame) -> FloatArray:
        """The estimator input for prepared rows (design or compact form)."""
        if self.card.get("estimator") == "hist_gradient_boosting":
            return self.encoder.compact(frame)
        return self.encoder.design(frame)

    def predict(self, frame: pd.DataFrame, outcome: str = "employed_1y") -> FloatArray:
        """Probability of a good outcome for each prepared row at its ``destination``.

        For ``earnings_band`` the probability of the mid or high band.
        """
        return self._good(self.matrix(frame), outcome)

    def _good(self, x: FloatArray, outcome: str) -> FloatArray:
        """:meth:`predict` of an estimator input ``x``."""
        from sklearn import config_context
        from sklearn.utils import assert_all_finite

        estimator = self.estimators[outcome]
        if self.card.get("estimator") != "hist_gradient_boosting":  # trees take NaN as missing
            # The check each calibrated copy of the model would make of x again, made once:
            # on 35,000 rows, three scans of x cost more than the products themselves.
            assert_all_finite(x, input_name="X")
        with config_context(assume_finite=True):
            proba = estimator.predict_proba(x)
        if outcome == "earnings_band":
            classes = list(estimator.classes_)
            good = [classes.index(c) for c in (2, 3) if c in classes]
            out: FloatArray = proba[:, good].sum(axis=1)
            return out
        positive: FloatArray = proba[:, 1]
        return positive

    def predict_bands(self, frame: pd.DataFrame) -> FloatArray:
        """Probabilities of the four earnings bands (none, low, mid, high) of each row."""
        est = self.estimators["earnings_band"]
        proba = est.predict_proba(self.matrix(frame))
        full = np.zeros((len(frame), len(EARNINGS_BANDS)))
        full[:, [int(c) for c in est.classes_]] = proba
        return full

    def predict_matrix(self, frame: pd.DataFrame, destinations: tuple[str, ...],
                       outcome: str = "employed_1y") -> FloatArray:
        """(persons x destinations) probabilities: every person scored in every destination."""
        unknown = [d for d in destinations if d not in self.destinations]
        if unknown:
            raise InputError(msg("model_unseen_destinations", unknown=", ".join(unknown),
                                 known=", ".join(self.destinations)))
        out = np.empty((len(frame), len(destinations)))
        # One destination at a time (bounded memory), the other features encoded once: the
        # same inputs, entry for entry, as predict(frame.assign(destination=dest)).
        inputs = (self.encoder.compacts if self.card.get("estimator") == "hist_gradient_boosting"
                  else self.encoder.designs)(frame, "destination", destinations)
        for j, x in enumerate(inputs):
            out[:, j] = self._good(x, outcome)
        return out


def split_holdout(frame: pd.DataFrame) -> tuple[npt.NDArray[np.bool_], dict[str, Any]]:
    """Mask of held-out rows: the latest arrival cohort, else a seeded 20% of families."""
    if "arrival_year" in frame.columns and frame["arrival_year"].notna().all():
        years = frame["arrival_year"].astype(int)
        if years.nunique() >= 2:
            last = int(years.max())
            return (years >= last).to_numpy(), {"column": "arrival_year", "min_value": last,
                                                "rule": "the most recent arrival cohort"}
    keys = frame["family_id"].astype(str).map(
        lambda s: int(hashlib.sha256(s.encode()).hexdigest()[:8], 16) % 100)
    return (keys < 20).to_numpy(), {"column": "family_id", "rule": "sha256(family_id) % 100 < 20"}


def holdout_mask(frame: pd.DataFrame, card: dict[str, Any]) -> npt.NDArray[np.bool_]:
    """Re-apply a model card's holdout rule to a (possibly different) data file."""
    rule = card["holdout"]
    if rule["column"] == "arrival_year" and "arrival_year" in frame.columns:
        mask: npt.NDArray[np.bool_] = (frame["arrival_year"].astype(float)
                                       >= rule["min_value"]).to_numpy()
        return mask
    keys = frame["family_id"].astype(str).map(
        lambda s: int(hashlib.sha256(s.encode()).hexdigest()[:8], 16) % 100)
    return (keys < 20).to_numpy()


def _target(frame: pd.DataFrame, outcome: str) -> npt.NDArray[np.int64]:
    if outcome == "earnings_band":
        lookup = {b: i for i, b in enumerate(EARNINGS_BANDS)}
        mapped: npt.NDArray[np.int64] = np.asarray(frame[outcome].map(lookup), dtype=np.int64)
        return mapped
    values: npt.NDArray[np.int64] = np.asarray(frame[outcome], dtype=np.int64)
    return values


def _estimator(registry: Registry, encoder: Encoder, *, multiclass: bool = False) -> Any:
    settings = registry.model
    if settings.get("estimator") == "hist_gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            categorical_features=encoder.categorical_mask(), max_iter=int(
                settings.get("max_iter", 200)), learning_rate=0.1, random_state=0)
    from sklearn.linear_model import LogisticRegression

    # newton-cholesky is fastest for two classes with ~150 columns; lbfgs for several classes.
    return LogisticRegression(C=float(settings.get("C", 1.0)),
                              max_iter=int(settings.get("max_iter", 300)),
                              solver="lbfgs" if multiclass else "newton-cholesky",
                              tol=1e-3 if multiclass else 1e-4)


def cv_auc(y: npt.NDArray[np.int64], oof: FloatArray) -> float:
    """AUC of out-of-fold predictions (macro one-vs-rest for several classes)."""
    from sklearn.metrics import roc_auc_score

    if oof.ndim == 2 and oof.shape[1] > 2:
        return float(roc_auc_score(y, oof, multi_class="ovr", average="macro"))
    scores = oof[:, 1] if oof.ndim == 2 else oof
    return float(roc_auc_score(y, scores))


def train(frame: pd.DataFrame, *, registry: Registry | None = None, data_hash: str = "",
          data_name: str = "", progress: Callable[[str], None] | None = None) -> OutcomeModel:
    """Fit calibrated models for every outcome on the training cohorts of a prepared frame."""
    import warnings

    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    reg = registry or load_registry()
    if not data_hash:  # called from Python with a frame: hash its content instead of a file
        data_hash = "frame:" + hashlib.sha256(
            pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()).hexdigest()
    hold, rule = split_holdout(frame)
    train_frame = frame[~hold]
    if len(train_frame) < 50 or hold.sum() < 20:
        raise InputError(msg("model_too_few_rows", training=len(train_frame), held=int(hold.sum())))
    encoder = Encoder.fit(train_frame, reg)
    model = OutcomeModel(encoder=encoder, estimators={},
                         card={"estimator": reg.model.get("estimator", "logistic")})
    x = model.matrix(train_frame)
    folds = int(reg.model.get("cv_folds", 3))
    method = str(reg.model.get("calibration", "sigmoid"))
    metrics: dict[str, Any] = {}
    for outcome in OUTCOMES:
        if progress:
            progress(outcome)
        y = _target(train_frame, outcome)
        if len(np.unique(y)) < 2:
            raise InputError(msg("model_single_value", outcome=outcome))
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        calibrated = CalibratedClassifierCV(_estimator(reg, encoder, multiclass=outcome ==
                                                       "earnings_band"), method=method, cv=cv)
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore", ConvergenceWarning)
            calibrated.fit(x, y)
        # Cross-validated predictions for free: fold i's calibrated model never saw fold i.
        oof = np.zeros((len(y), len(calibrated.classes_)))
        for (_, test), fitted in zip(cv.split(x, y), calibrated.calibrated_classifiers_,
                                     strict=True):
            oof[test] = fitted.predict_proba(x[test])
        model.estimators[outcome] = calibrated
        metrics[outcome] = {"cv_auc": round(cv_auc(y, oof), 5), "cv_folds": folds,
                            "training_rows": len(train_frame),
                            "positive_rate": round(float(np.mean(y > 0)
                                                         if outcome != "earnings_band"
                                                         else np.mean(y >= 2)), 5)}
    counts = train_frame["destination"].value_counts().sort_index()
    model.card.update({
        "format_version": FORMAT_VERSION,
        "model_version": dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data": {"name": data_name, "sha256": data_hash, "rows": len(frame),
                 "training_rows": len(train_frame), "holdout_rows": int(hold.sum()),
                 "placements_by_destination": {str(k): int(v) for k, v in counts.items()}},
        "holdout": rule,
        "outcomes": list(OUTCOMES),
        "registry": reg.as_dict(),
        "features": list(reg.predictors),
        "design_columns": len(encoder.column_names()),
        "calibration": {"method": method, "cv_folds": folds},
        "metrics": {"cross_validation": metrics},
        "intended_use": INTENDED_USE,
        "limitations": LIMITATIONS,
    })
    return model


def save_model(model: OutcomeModel, out_dir: str | Path) -> Path:
    """Write ``model.joblib`` and ``model_card.json`` (with the model file's SHA-256)."""
    import joblib

    from fairshare.outcomes.dataio import file_sha256

    out = Path(out_dir)
    path = out / MODEL_FILE
    with open_private(path, "wb") as handle:
        joblib.dump({"encoder": model.encoder, "estimators": model.estimators,
                     "format_version": FORMAT_VERSION}, handle, compress=3)
    model.card["model_file"] = {"name": MODEL_FILE, "sha256": file_sha256(path)}
    write_private_text(out / CARD_FILE, json.dumps(model.card, indent=2, ensure_ascii=False)
                       + "\n")
    return out


def load_model(model_dir: str | Path) -> OutcomeModel:
    """Load a saved model after checking the model file's hash against its card.

    Raises:
        InputError: missing files, a hash mismatch (tampered or partial copy), old format.
    """
    import joblib

    from fairshare.outcomes.dataio import file_sha256

    folder = Path(model_dir)
    card_path, model_path = folder / CARD_FILE, folder / MODEL_FILE
    if not card_path.is_file() or not model_path.is_file():
        raise InputError(msg("model_not_directory", folder=str(folder), card=CARD_FILE,
                             model=MODEL_FILE))
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(msg("model_card_not_json", path=str(card_path), problem=str(exc))) from exc
    expected = card.get("model_file", {}).get("sha256")
    actual = file_sha256(model_path)
    if expected != actual:
        raise InputError(msg("model_hash_mismatch", path=str(model_path), card=str(card_path),
                             expected=str(expected), actual=actual))
    payload = joblib.load(model_path)  # trusted: its hash matches the card written beside it
    if payload.get("format_version") != FORMAT_VERSION:
        raise InputError(msg("model_bad_format", path=str(model_path),
                             found=str(payload.get("format_version")), format=FORMAT_VERSION))
    return OutcomeModel(encoder=payload["encoder"], estimators=payload["estimators"], card=card)
