"""Outcome models, evaluation, back-test and scores, through the Python API (small and fast)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fairshare.errors import InputError
from fairshare.outcomes import principal_factors, scores_for
from fairshare.outcomes.backtest import assign_greedy, assign_optimal, family_scores
from fairshare.outcomes.evaluate import evaluate, safe_auc
from fairshare.outcomes.features import prepare
from fairshare.outcomes.predict import member_scores
from fairshare.outcomes.synth import generate_history
from fairshare.outcomes.train import OUTCOMES, OutcomeModel, load_model, save_model, train


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return prepare(generate_history(5000, seed=11), source="synthetic", outcomes=True)


@pytest.fixture(scope="module")
def model(frame: pd.DataFrame) -> OutcomeModel:
    return train(frame, data_hash="test", data_name="synthetic")


@pytest.fixture(scope="module")
def result(model: OutcomeModel, frame: pd.DataFrame) -> dict[str, Any]:
    return evaluate(model, frame, n_boot=30, seed=0)


def test_protected_attributes_are_not_predictors_by_default(model: OutcomeModel) -> None:
    assert "sex" not in model.card["features"]
    assert "region_of_origin" not in model.card["features"]
    columns = model.encoder.column_names()
    assert not any(c.startswith(("sex", "region_of_origin")) for c in columns)
    assert "destination" in model.card["features"]
    assert model.card["registry"]["protected"] == ["sex", "region_of_origin"]
    assert model.card["registry"]["protected_used_as_predictors"] == []


def test_model_card_records_data_metrics_use_and_limits(model: OutcomeModel) -> None:
    card = model.card
    for key in ("data", "features", "metrics", "created_at", "intended_use", "limitations",
                "model_version", "holdout", "calibration"):
        assert card[key], key
    assert set(card["metrics"]["cross_validation"]) == set(OUTCOMES)
    assert card["holdout"]["column"] == "arrival_year"


def test_holdout_auc_is_near_the_generating_model(result: dict[str, Any]) -> None:
    assert result["auc"] > 0.75
    assert result["oracle_auc"] - result["auc"] < 0.04  # loose on 5,000 persons


def test_group_metrics_have_bootstrap_intervals(result: dict[str, Any]) -> None:
    for outcome in OUTCOMES:
        rows = result["groups"][outcome]
        assert {r["dimension"] for r in rows} == {"sex", "age_band", "region_of_origin",
                                                  "language", "family_type"}
        for r in rows:
            for metric in ("brier", "calibration_gap", "observed_rate"):
                lo, hi = r[f"{metric}_ci"]
                assert lo <= r[metric] + 1e-9 and r[metric] <= hi + 1e-9, (outcome, r)


def test_backtest_gains_and_no_group_worse_off(result: dict[str, Any]) -> None:
    bt = result["backtest"]
    assert result["gain_vs_status_quo"] == bt["plans"]["optimised"]["gain_vs_status_quo"]
    assert bt["gain_vs_status_quo"] > 0.2
    assert bt["groups_worse_off"] == []
    plans = bt["plans"]
    assert plans["optimised"]["true_rate"] >= plans["random"]["true_rate"]
    assert plans["oracle"]["true_rate"] >= plans["optimised_unconstrained"]["true_rate"] - 1e-9
    # measured in TRUE outcome, so a floor may even help a little by chance
    assert bt["floors"]["no_group_worse_off"]["cost_relative"] > -0.01
    worst = bt["floors"]["worst_off_floor"]
    assert worst["feasible"]
    assert worst["floored_rate"] >= worst["unconstrained_rate"] - 0.02


def test_saved_model_loads_and_tampering_is_refused(model: OutcomeModel, tmp_path: Path) -> None:
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.destinations == model.destinations
    with (tmp_path / "m" / "model.joblib").open("ab") as handle:
        handle.write(b"x")
    with pytest.raises(InputError, match="SHA-256"):
        load_model(tmp_path / "m")


def test_family_score_is_the_mean_over_members(model: OutcomeModel, frame: pd.DataFrame) -> None:
    members = frame[frame["family_type"] == "couple"].head(10)
    dests = ["QC", "ON", "AB"]
    per_member = member_scores(model, members, dests)
    families = scores_for(model, members, dests)
    assert list(families.columns) == ["family_id", "destination", "score"]
    expected = per_member.groupby(["family_id", "destination"])["score"].mean()
    got = families.set_index(["family_id", "destination"])["score"]
    np.testing.assert_allclose(got.sort_index(), expected.sort_index(), atol=1e-5)
    assert families["score"].between(0, 1).all()  # per person: what `match` accepts
    two = per_member.groupby("family_id")["member_id"].nunique()
    assert (two == 2).any()  # couples: a mean of two members, not their sum


def test_principal_factors_rank_by_absolute_contribution(model: OutcomeModel,
                                                         frame: pd.DataFrame) -> None:
    factors = principal_factors(model, frame.head(5), "QC", top=3)
    assert len(factors) == 15
    assert "destination" not in set(factors["feature"])
    for _, rows in factors.groupby("member_id"):
        values = rows.sort_values("rank")["contribution"].abs().to_list()
        assert values == sorted(values, reverse=True)


def test_assignment_is_optimal_on_small_instances() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        scores = rng.random((6, 3))
        capacity = np.array([2, 2, 2])
        plan = assign_optimal(scores, capacity)
        best = max(sum(scores[f, d] for f, d in enumerate(p))
                   for p in itertools.product(range(3), repeat=6)
                   if all(p.count(d) <= 2 for d in range(3)))
        assert sum(scores[f, d] for f, d in enumerate(plan)) == pytest.approx(best)
        assert np.bincount(plan, minlength=3).tolist() == [2, 2, 2]


def test_assignment_floor_and_greedy_respect_capacity() -> None:
    scores = np.array([[0.9, 0.1], [0.8, 0.7], [0.2, 0.6]])
    capacity = np.array([1, 2])
    assert assign_optimal(scores, capacity).tolist() == [0, 1, 1]
    # a floor forcing family 1 into destination 0 (its "group" needs >= 0.8)
    group = np.zeros_like(scores)
    group[1] = scores[1]
    assert assign_optimal(scores, capacity, [(group, 0.8)]).tolist() == [1, 0, 1]
    greedy = assign_greedy(scores, capacity, ("a", "b", "c"))
    assert np.bincount(greedy, minlength=2).tolist() <= [1, 2]
    with pytest.raises(InputError):
        assign_optimal(scores, np.array([1, 1]))


def test_family_scores_and_auc_helpers() -> None:
    out = family_scores(np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]), np.array([0, 0, 1]), 2)
    np.testing.assert_allclose(out, [[0.4, 0.6], [0.5, 0.6]])
    assert safe_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert np.isnan(safe_auc([1, 1], [0.2, 0.3]))


def test_min_cost_flow_and_lp_agree() -> None:
    from fairshare.outcomes.backtest import _assign_flow, _solve

    rng = np.random.default_rng(3)
    scores = rng.random((300, 5))
    capacity = np.array([100, 80, 60, 40, 40])
    flow = _assign_flow(scores, capacity.astype(float))
    assert flow is not None
    lp = _solve(scores, capacity.astype(float), [], integral=False)
    assert lp is not None
    assert scores[np.arange(300), flow].sum() == pytest.approx((lp * scores).sum(), abs=1e-4)
    assert (np.bincount(flow, minlength=5) <= capacity).all()


def test_fairlearn_bootstrap_option_gives_intervals_too() -> None:
    from fairshare.outcomes.evaluate import group_metrics

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"sex": rng.choice(["F", "M"], 400)})
    p = rng.random(400)
    y = (rng.random(400) < p).astype(int)
    rows = group_metrics(y, p, frame, ("sex",), n_boot=5, seed=0, fairlearn_bootstrap=True)
    assert {r["group"] for r in rows} == {"F", "M"}
    assert all(len(r["auc_ci"]) == 2 for r in rows)


def test_registry_can_approve_a_protected_attribute(frame: pd.DataFrame, tmp_path: Path) -> None:
    from importlib import resources

    from fairshare.outcomes.features import load_registry

    text = resources.files("fairshare.outcomes").joinpath("features.yaml").read_text()
    text = text.replace("sex:              {kind: categorical, predictor: false",
                        "sex:              {kind: categorical, predictor: true")
    (tmp_path / "reg.yaml").write_text(text)
    registry = load_registry(tmp_path / "reg.yaml")
    small = train(frame.head(1500), registry=registry)
    assert "sex" in small.card["features"]
    assert small.card["registry"]["protected_used_as_predictors"] == ["sex"]


def test_malformed_generative_model_is_an_input_error(tmp_path: Path) -> None:
    from fairshare.outcomes.synth import load_generative

    (tmp_path / "g.yaml").write_text("label: nothing else\n")
    with pytest.raises(InputError, match="generative"):
        load_generative(tmp_path / "g.yaml")


def test_assignment_is_always_valid_and_beats_greedy() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=40, deadline=None)
    @given(st.integers(1, 25), st.integers(1, 5), st.integers(0, 10_000))
    def check(n_fam: int, n_dest: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        scores = rng.random((n_fam, n_dest))
        capacity = rng.multinomial(n_fam + int(rng.integers(0, 3)), np.full(n_dest, 1 / n_dest))
        plan = assign_optimal(scores, capacity)
        assert len(plan) == n_fam
        assert (np.bincount(plan, minlength=n_dest) <= capacity).all()
        greedy = assign_greedy(scores, capacity, tuple(f"F{i:03d}" for i in range(n_fam)))
        rows = np.arange(n_fam)
        assert scores[rows, plan].sum() >= scores[rows, greedy].sum() - 1e-5

    check()


def test_backtest_on_model_truth_for_real_data(model: OutcomeModel, frame: pd.DataFrame) -> None:
    result = evaluate(model, frame, truth="model", n_boot=0, max_families=500)
    assert "oracle_auc" not in result["outcomes"]["employed_1y"]
    assert result["oracle_auc"] is None
    bt = result["backtest"]
    assert bt["cohort"]["families"] == 500
    # judged by the model's own predictions, the optimum can only beat the status quo
    assert bt["plans"]["optimised_unconstrained"]["true_rate"] >= bt["plans"]["status_quo"][
        "true_rate"]
    with pytest.raises(InputError, match="truth"):
        evaluate(model, frame, truth="guess")


def test_frame_hash_recorded_when_trained_from_python(frame: pd.DataFrame) -> None:
    small = train(frame.head(1200))
    assert small.card["data"]["sha256"].startswith("frame:")
