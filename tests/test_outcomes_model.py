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
from fairshare.outcomes.backtest import Cohort, cohort_problem, engine_plan, family_scores
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


def test_backtest_runs_the_matching_engine(result: dict[str, Any]) -> None:
    bt = result["backtest"]
    assert result["gain_vs_status_quo"] == bt["plans"]["optimised"]["gain_vs_status_quo"]
    assert bt["engine"].startswith("fairshare.matching.solve")
    plans = bt["plans"]
    assert [plans[p]["solver"] for p in ("status_quo", "random", "greedy")] == [
        "status-quo", "random", "greedy"]
    assert plans["optimised"]["solver"] in ("exact", "fast")
    assert plans["status_quo"]["gain_vs_status_quo"] == 0
    assert bt["gain_vs_status_quo"] > 0.2
    assert plans["optimised"]["predicted_rate"] >= plans["greedy"]["predicted_rate"] - 1e-9
    assert plans["optimised"]["true_rate"] >= plans["random"]["true_rate"]
    assert plans["oracle"]["true_rate"] >= plans["optimised"]["true_rate"] - 1e-3
    assert set(bt["persons_by_destination"]["optimised"]) <= set(
        bt["persons_by_destination"]["status_quo"])
    assert isinstance(bt["groups_worse_off"], list)


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


def _tiny_cohort(scores: np.ndarray, status_quo: list[int]) -> Cohort:
    n = len(status_quo)
    frame = pd.DataFrame({"person_id": [f"P{i}" for i in range(n)],
                          "family_id": [f"F{i}" for i in range(n)]})
    return Cohort(frame=frame, family_index=np.arange(n, dtype=np.int64),
                  family_ids=tuple(f"F{i}" for i in range(n)), destinations=("AB", "NB", "ON"),
                  status_quo=np.array(status_quo, dtype=np.int64), predicted=scores,
                  truth=scores)


def test_engine_plans_are_optimal_on_small_cohorts() -> None:
    rng = np.random.default_rng(0)
    for _ in range(10):
        scores = rng.random((6, 3))
        cohort = _tiny_cohort(scores, [0, 0, 1, 1, 2, 2])
        plan, result = engine_plan(cohort_problem(cohort, scores), cohort, "auto", 0)
        best = max(sum(scores[f, d] for f, d in enumerate(p))
                   for p in itertools.product(range(3), repeat=6)
                   if all(p.count(d) <= 2 for d in range(3)))
        assert sum(scores[f, d] for f, d in enumerate(plan)) == pytest.approx(best, abs=1e-6)
        assert np.bincount(plan, minlength=3).tolist() == [2, 2, 2]
        assert result.solver == "exact"


def test_status_quo_baseline_keeps_every_family_where_it_was() -> None:
    scores = np.array([[0.9, 0.1, 0.2], [0.8, 0.7, 0.1], [0.2, 0.6, 0.3]])
    cohort = _tiny_cohort(scores, [2, 0, 1])
    problem = cohort_problem(cohort, scores)
    assert [d.capacity for d in problem.destinations] == [1, 1, 1]
    assert engine_plan(problem, cohort, "status-quo", 0)[0].tolist() == [2, 0, 1]
    assert engine_plan(problem, cohort, "auto", 0)[0].tolist() == [0, 1, 2]


def test_family_scores_and_auc_helpers() -> None:
    out = family_scores(np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]), np.array([0, 0, 1]), 2)
    np.testing.assert_allclose(out, [[0.4, 0.6], [0.5, 0.6]])
    assert safe_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert np.isnan(safe_auc([1, 1], [0.2, 0.3]))


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


def test_backtest_on_model_truth_for_real_data(model: OutcomeModel, frame: pd.DataFrame) -> None:
    result = evaluate(model, frame, truth="model", n_boot=0, max_families=500)
    assert "oracle_auc" not in result["outcomes"]["employed_1y"]
    assert result["oracle_auc"] is None
    bt = result["backtest"]
    assert bt["cohort"]["families"] == 500
    # judged by the model's own predictions, the optimum can only beat the status quo
    assert bt["plans"]["optimised"]["true_rate"] >= bt["plans"]["status_quo"]["true_rate"]
    with pytest.raises(InputError, match="truth"):
        evaluate(model, frame, truth="guess")


def test_frame_hash_recorded_when_trained_from_python(frame: pd.DataFrame) -> None:
    small = train(frame.head(1200))
    assert small.card["data"]["sha256"].startswith("frame:")


# --- Scores by the registry: the vectorised design gives the scores the row-by-row one gave ---


def _previous_design(model: OutcomeModel, frame: pd.DataFrame) -> np.ndarray:
    """The design matrix as the encoder built it before it was vectorised: category codes by a
    dictionary lookup per row (pandas ``map``), every block rebuilt for each destination."""
    enc = model.encoder
    blocks: dict[str, np.ndarray] = {}
    for name in enc.registry.predictors:
        if name in enc.categories:
            lookup = {c: i for i, c in enumerate(enc.categories[name])}
            codes = np.asarray(frame[name].astype(str).map(lookup).to_numpy(), dtype=np.int64)
            block = np.zeros((len(frame), len(enc.categories[name])))
            block[np.arange(len(frame)), codes] = 1.0
        else:
            block = frame[name].to_numpy(dtype=np.float64).reshape(-1, 1)
        blocks[name] = block
    parts = [blocks[n] for n in enc.registry.predictors]
    for a, b in enc.registry.interactions:
        parts.append((blocks[a][:, :, None] * blocks[b][:, None, :]).reshape(len(frame), -1))
    return np.hstack(parts)


def _previous_registry_scores(model: OutcomeModel, members: pd.DataFrame,
                              destinations: list[str], family_ids: list[str]
                              ) -> dict[str, dict[str, float]]:
    """``registry_scores`` as written before: per destination a fresh design, member scores
    rounded, a family's sum over its members divided by its size (looked up row by row),
    rounded, then one dictionary entry per row."""
    from fairshare.outcomes.predict import model_categories

    prepared = prepare(members, source="registry claimants", outcomes=False,
                       need_destination=False)
    for name, cats in model_categories(model).items():
        known = prepared[name].astype(str).isin(cats)
        prepared.loc[~known, name] = model.encoder.references[name]
    dests = tuple(sorted(destinations))
    est = model.estimators["employed_1y"]
    probs = np.column_stack([est.predict_proba(_previous_design(
        model, prepared.assign(destination=d)))[:, 1] for d in dests])
    per_member = pd.DataFrame({
        "member_id": np.repeat(prepared["person_id"].to_numpy(), len(dests)),
        "family_id": np.repeat(prepared["family_id"].to_numpy(), len(dests)),
        "destination": np.tile(np.array(dests, dtype=object), len(prepared)),
        "score": np.round(probs.ravel(), 6)}).sort_values(
        ["family_id", "member_id", "destination"], kind="stable").reset_index(drop=True)
    fam = per_member.groupby(["family_id", "destination"], sort=True)["score"].sum().reset_index()
    listed = per_member.groupby("family_id")["member_id"].nunique()
    fam["score"] = (fam["score"] / fam["family_id"].map(lambda f: listed[f]).astype(float)
                    ).round(6)
    out: dict[str, dict[str, float]] = {}
    for fid, dest, score in zip(fam["family_id"].astype(str), fam["destination"].astype(str),
                                fam["score"].to_numpy(dtype=np.float64), strict=True):
        out.setdefault(fid, {})[dest] = float(score)
    means = {str(d): round(float(v), 6) for d, v in fam.groupby("destination")["score"].mean()
             .items()}
    return {fid: out.get(fid, {str(d): means[str(d)] for d in destinations})
            for fid in family_ids}


def _claimant_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Registry claimants (vocabulary values) made from history rows, with what the registry
    may hold that the model never saw: an empty education, an unknown occupation, a child."""
    cefr = {1: "A2", 2: "B1", 3: "C1"}
    rows = []
    for k, r in enumerate(frame.head(400).itertuples()):
        langs = [[lang, cefr[int(level)]] for lang, level in
                 (("en", r.english_level), ("fr", r.french_level)) if int(level)]
        rows.append({"id": r.person_id, "family_id": r.family_id, "birth_year": 2025 - r.age,
                     "sex": r.sex, "languages": langs,
                     "education": "" if k % 17 == 0 else r.education,
                     "occupation_group": "astronaut" if k % 23 == 0 else r.occupation_group})
    rows.append({"id": "CHILD", "family_id": "KIDS", "birth_year": 2020, "sex": "F",
                 "languages": [], "education": None, "occupation_group": None})
    return rows


def test_vectorised_registry_scores_equal_the_previous_ones(model: OutcomeModel,
                                                            frame: pd.DataFrame) -> None:
    from fairshare.outcomes.features import members_from_claimants
    from fairshare.outcomes.predict import registry_scores

    rows = _claimant_rows(frame)
    members = members_from_claimants(rows, year=2025)
    dests = ["AB", "NB", "ON", "QC"]
    family_ids = sorted({r["family_id"] for r in rows})
    got = registry_scores(model, members, dests, family_ids)
    assert got == _previous_registry_scores(model, members, dests, family_ids)
    assert len(got) == len(family_ids) > 100
    assert set(got["KIDS"]) == set(dests)  # no adult: the mean of the adults scored there


def test_one_design_per_destination_equals_a_fresh_design_each(model: OutcomeModel,
                                                               frame: pd.DataFrame) -> None:
    sample = frame.head(300)
    dests = ["AB", "QC", "ON"]
    enc = model.encoder
    for dest, x in zip(dests, enc.designs(sample, "destination", dests), strict=True):
        one = sample.assign(destination=dest)
        assert np.array_equal(x, enc.design(one))
        assert np.array_equal(x, _previous_design(model, one))
    for dest, x in zip(dests, enc.compacts(sample, "destination", dests), strict=True):
        assert np.array_equal(x, enc.compact(sample.assign(destination=dest)))
    by_matrix = model.predict_matrix(sample, tuple(dests))
    for j, dest in enumerate(dests):
        assert np.array_equal(by_matrix[:, j], model.predict(sample.assign(destination=dest)))
    with pytest.raises(InputError, match="never saw"):
        enc.design(sample.assign(destination="XX"))


def test_member_scores_come_sorted_as_a_sort_of_all_their_rows(model: OutcomeModel,
                                                               frame: pd.DataFrame) -> None:
    """Persons sorted first (then their destinations) is the order of sorting every member x
    destination row, a person listed twice included (its rows interleave by destination)."""
    sample = frame.sample(200, random_state=3)
    twice = pd.concat([sample, sample.head(3).assign(english_level=3)], ignore_index=True)
    dests = ["QC", "AB", "ON"]
    for members in (sample, twice):
        got = member_scores(model, members, dests)
        prepared = prepare(members, source="members", outcomes=False, need_destination=False)
        probs = model.predict_matrix(prepared, tuple(sorted(dests)))
        rows = pd.DataFrame({
            "member_id": np.repeat(prepared["person_id"].to_numpy(), len(dests)),
            "family_id": np.repeat(prepared["family_id"].to_numpy(), len(dests)),
            "destination": np.tile(np.array(sorted(dests), dtype=object), len(prepared)),
            "score": np.round(probs.ravel(), 6)})
        expected = rows.sort_values(["family_id", "member_id", "destination"],
                                    kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_designs_of_an_ordinal_column_equal_fresh_designs(model: OutcomeModel,
                                                         frame: pd.DataFrame) -> None:
    """Rewriting only the changed columns holds for a numeric column in interactions too."""
    sample = frame.head(50).assign(destination="QC")
    enc = model.encoder
    levels = [0, 3, 3, 1, 0]
    for level, x in zip(levels, enc.designs(sample, "english_level", levels), strict=True):
        assert x.tobytes() == enc.design(sample.assign(english_level=level)).tobytes()


def test_tree_model_scores_every_destination_as_one_at_a_time(frame: pd.DataFrame,
                                                              tmp_path: Path) -> None:
    """The gradient-boosting estimator (which takes missing values) goes through the same
    prediction path without the logistic model's finiteness check."""
    from importlib import resources

    from fairshare.outcomes.features import load_registry

    text = resources.files("fairshare.outcomes").joinpath("features.yaml").read_text()
    text = text.replace("estimator: logistic", "estimator: hist_gradient_boosting")
    text = text.replace("max_iter: 300", "max_iter: 20")
    (tmp_path / "reg.yaml").write_text(text)
    trees = train(frame.head(1500), registry=load_registry(tmp_path / "reg.yaml"))
    assert trees.card["estimator"] == "hist_gradient_boosting"
    sample = frame.head(100)
    dests = ("AB", "ON", "QC")
    by_matrix = trees.predict_matrix(sample, dests, "retained_1y")
    for j, dest in enumerate(dests):
        one = trees.predict(sample.assign(destination=dest), "retained_1y")
        assert by_matrix[:, j].tobytes() == one.tobytes()


def test_logistic_model_still_refuses_a_missing_value(model: OutcomeModel,
                                                      frame: pd.DataFrame) -> None:
    """The finiteness check the calibrated copies no longer repeat is made once, as before."""
    sample = frame.head(20).astype({"english_level": float})
    sample.loc[3, "english_level"] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.predict(sample)
    with pytest.raises(ValueError, match="NaN"):
        model.predict_matrix(sample, ("AB", "QC"))
