"""Synthetic history: determinism, schema, and the documented generative structure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairshare.outcomes.synth import (
    HISTORY_COLUMNS,
    generate_history,
    load_generative,
    true_probabilities,
)
from fairshare.reference import load_federation


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return generate_history(6000, seed=5)


def test_same_seed_same_history_and_other_seed_differs() -> None:
    a = generate_history(800, seed=3)
    b = generate_history(800, seed=3)
    c = generate_history(800, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_schema_and_value_ranges(history: pd.DataFrame) -> None:
    assert list(history.columns) == list(HISTORY_COLUMNS)
    assert len(history) == 6000
    assert history["person_id"].is_unique
    assert history["age"].between(18, 64).all()
    assert (history["arrival_year"] - history["birth_year"] == history["age"]).all()
    assert set(history["sex"]) == {"F", "M"}
    for col in ("english_level", "french_level"):
        assert history[col].between(0, 3).all()
    assert set(history["employed_1y"]) == {0, 1}
    assert set(history["retained_1y"]) == {0, 1}
    assert set(history["earnings_band"]) <= {"none", "low", "mid", "high"}
    # earnings band "none" exactly when not employed
    assert ((history["earnings_band"] == "none") == (history["employed_1y"] == 0)).all()
    assert set(history["destination"]) <= set(load_federation().codes)
    # families are never split
    assert (history.groupby("family_id")["destination"].nunique() == 1).all()
    assert (history.groupby("family_id")["family_type"].nunique() == 1).all()


def test_status_quo_concentrates_in_quebec_and_ontario(history: pd.DataFrame) -> None:
    shares = history["destination"].value_counts(normalize=True)
    assert shares["QC"] + shares["ON"] > 0.75


def test_status_quo_employment_rate_near_documented_target(history: pd.DataFrame) -> None:
    target = load_generative().raw["employment"]["target_status_quo_rate"]
    assert abs(history["employed_1y"].mean() - target) < 0.05


def test_true_probabilities_are_probabilities(history: pd.DataFrame) -> None:
    truth = true_probabilities(history.head(500))
    assert truth.employed.shape == (500, len(load_federation().codes))
    for arr in (truth.employed, truth.retained, truth.earnings):
        assert np.all((arr >= 0) & (arr <= 1))
    np.testing.assert_allclose(truth.earnings.sum(axis=2), 1.0, atol=1e-9)
    np.testing.assert_allclose(truth.earnings[:, :, 0], 1.0 - truth.employed, atol=1e-12)


def test_french_language_advantage_in_quebec() -> None:
    base = {"age": 30, "sex": "F", "education": "secondary", "occupation_group": "manufacturing",
            "family_type": "single"}
    people = pd.DataFrame([{**base, "english_level": 0, "french_level": 3},
                           {**base, "english_level": 3, "french_level": 0}])
    truth = true_probabilities(people, destinations=("QC", "ON"))
    francophone, anglophone = truth.employed
    assert francophone[0] > francophone[1]  # better in QC than ON
    assert anglophone[1] > anglophone[0]    # better in ON than QC


def test_cli_history_is_deterministic(run_cli, tmp_path: Path) -> None:
    a = run_cli("synth", "history", "--persons", "300", "--seed", "9", "--out", "a.csv")
    b = run_cli("synth", "history", "--persons", "300", "--seed", "9", "--out", "b.csv")
    assert a.exit_code == 0, a
    assert b.exit_code == 0, b
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    frame = pd.read_csv(tmp_path / "a.csv")
    assert list(frame.columns) == list(HISTORY_COLUMNS)
    assert len(frame) == 300
