"""The outcomes CLI as a user runs it: train / evaluate / audit / predict and bad input."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fairshare", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600, check=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A history of 4,000 persons and a model trained on it, by the CLI."""
    work = tmp_path_factory.mktemp("outcomes")
    done = _cli("synth", "history", "--persons", "4000", "--seed", "21", "--out", "h.csv", cwd=work)
    assert done.returncode == 0, done.stderr
    done = _cli("outcomes", "train", "--data", "h.csv", "--out", "model", "--format", "json",
                cwd=work)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {r["outcome"] for r in rows} == {"employed_1y", "retained_1y", "earnings_band"}
    return work


def test_evaluate_json_round_trip(trained: Path) -> None:
    done = _cli("outcomes", "evaluate", "--model", "model", "--data", "h.csv", "--format", "json",
                "--bootstrap", "20", cwd=trained)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    for key in ("auc", "oracle_auc", "auc_gap", "brier", "gain_vs_status_quo", "outcomes",
                "groups", "backtest"):
        assert key in result, key
    assert 0.5 < result["auc"] <= 1
    assert result["gain_vs_status_quo"] > 0
    assert result["backtest"]["groups_worse_off"] == []
    card = json.loads((trained / "model" / "model_card.json").read_text())
    assert "sex" not in card["features"] and "region_of_origin" not in card["features"]


def test_audit_writes_offline_html_and_json(trained: Path) -> None:
    done = _cli("outcomes", "audit", "--model", "model", "--data", "h.csv", "--out", "audit",
                "--bootstrap", "10", cwd=trained)
    assert done.returncode == 0, done.stderr
    page = (trained / "audit" / "audit.html").read_text()
    assert page.count("data:image/png;base64,") >= 4
    assert "<script src" not in page and "http://" not in page
    report = json.loads((trained / "audit" / "audit.json").read_text())
    assert report["evaluation"]["groups"]["employed_1y"][0]["auc_ci"]
    assert "<html lang='en'>" in page and "fairness audit" in page


def test_audit_report_in_french(trained: Path) -> None:
    """The fairness audit follows --lang (else FAIRSHARE_LANG / LANG): French words and numbers."""
    done = _cli("outcomes", "audit", "--model", "model", "--data", "h.csv", "--out", "audit-fr",
                "--bootstrap", "10", "--lang", "fr", cwd=trained)
    assert done.returncode == 0, done.stderr
    page = html.unescape((trained / "audit-fr" / "audit.html").read_text())
    assert "<html lang='fr'>" in page and "audit d'exactitude et d'équité" in page
    assert "Exactitude sur la cohorte mise de côté" in page and "Accuracy" not in page
    assert "<th scope='col'>groupe</th>" in page
    cells = re.findall(r"<td>(-?\d+[.,]\d{4})</td>", page)
    assert cells and all("," in c for c in cells)  # decimal comma


def test_predict_writes_family_and_member_scores(trained: Path) -> None:
    history = pd.read_csv(trained / "h.csv")
    members = history.drop(columns=["destination", "employed_1y", "earnings_band",
                                    "retained_1y"]).head(60)
    members = members.rename(columns={"person_id": "member_id"})
    members.to_csv(trained / "members.csv", index=False)
    done = _cli("outcomes", "predict", "--model", "model", "--members", "members.csv",
                "--destinations", "QC,ON,NB", "--out", "scores.csv", "--members-out",
                "member_scores.csv", "--factors-out", "factors.csv", cwd=trained)
    assert done.returncode == 0, done.stderr
    scores = pd.read_csv(trained / "scores.csv")
    assert list(scores.columns) == ["family_id", "destination", "score"]
    assert set(scores["destination"]) == {"QC", "ON", "NB"}
    assert scores["score"].between(0, 1).all()
    per_member = pd.read_csv(trained / "member_scores.csv")
    assert per_member["score"].between(0, 1).all()
    summed = per_member.groupby(["family_id", "destination"])["score"].sum()
    size = members.groupby("family_id")["member_id"].nunique()
    # per-person score x family size == SUM over members (what the matching engine optimises)
    merged = scores.set_index(["family_id", "destination"])["score"]
    times_size = merged * merged.index.get_level_values(0).map(size).to_numpy()
    assert (times_size - summed.loc[merged.index]).abs().max() < 1e-4
    factors = pd.read_csv(trained / "factors.csv")
    assert len(factors) == 60 * 3 * 3
    done = _cli("outcomes", "predict", "--model", "model", "--members", "members.csv",
                "--destinations", "QC,ON,NB", "--out", "sums.csv", "--family-score", "sum",
                cwd=trained)
    assert done.returncode == 0, done.stderr
    sums = pd.read_csv(trained / "sums.csv").set_index(["family_id", "destination"])["score"]
    assert (sums - summed.loc[sums.index]).abs().max() < 1e-5


def test_predicted_scores_feed_the_matching_engine(trained: Path) -> None:
    history = pd.read_csv(trained / "h.csv").head(120)
    members = history.drop(columns=["destination", "employed_1y", "earnings_band",
                                    "retained_1y", "sex", "region_of_origin"])
    members.to_csv(trained / "m2.csv", index=False)  # protected attributes not needed
    sizes = members.groupby("family_id").size()
    pd.DataFrame({"family_id": sizes.index, "size": sizes.to_numpy(), "consent": "true"}).to_csv(
        trained / "families.csv", index=False)
    pd.DataFrame({"code": ["QC", "ON", "AB"], "capacity": [60, 60, 60]}).to_csv(
        trained / "destinations.csv", index=False)
    done = _cli("outcomes", "predict", "--model", "model", "--members", "m2.csv",
                "--families", "families.csv", "--destinations", "destinations.csv",
                "--out", "s2.csv", "--factors-out", "factors.csv", cwd=trained)
    assert done.returncode == 0, done.stderr
    done = _cli("match", "--families", "families.csv", "--destinations", "destinations.csv",
                "--scores", "s2.csv", "--out", "plan.csv", "--factors", "factors.csv",
                "--explain", "explain.json", cwd=trained)
    assert done.returncode == 0, done.stderr
    plan = pd.read_csv(trained / "plan.csv")
    assert set(plan["family_id"]) == set(sizes.index)
    # Each placed family's explanation names the principal factors of its predicted outcome
    # in the destination chosen, in English and French.
    explanations = json.loads((trained / "explain.json").read_text())["explanations"]
    factors = pd.read_csv(trained / "factors.csv")
    for row in plan.dropna().itertuples():
        exp = explanations[row.family_id]
        named = exp["principal_factors"]
        assert 1 <= len(named) <= 3
        mine = factors[(factors["family_id"] == row.family_id) & (factors["destination"] == row.destination)]
        assert {f["member_id"] for f in named} <= set(mine["member_id"])
        assert max(abs(f["contribution"]) for f in named) == pytest.approx(mine["contribution"].abs().max())
        assert "Principal factors" in exp["en"] and "Facteurs principaux" in exp["fr"]


def test_bad_factors_file_exits_2(trained: Path) -> None:
    (trained / "bad_factors.csv").write_text("member_id,family_id,destination,feature,value,contribution\n"
                                             "P1,F1,QC,education,university,lots\n")
    pd.DataFrame({"family_id": ["F1"], "size": [1], "consent": ["true"]}).to_csv(trained / "f1.csv", index=False)
    pd.DataFrame({"code": ["QC"], "capacity": [5]}).to_csv(trained / "d1.csv", index=False)
    done = _cli("match", "--families", "f1.csv", "--destinations", "d1.csv", "--factors",
                "bad_factors.csv", cwd=trained)
    assert done.returncode == 2, done
    assert "row 2, column contribution" in done.stderr


@pytest.mark.parametrize(("edit", "message"), [
    (lambda f: f.drop(columns=["education"]), "education"),
    (lambda f: f.assign(english_level="very good"), "english_level"),
    (lambda f: f.assign(employed_1y=7), "employed_1y"),
])
def test_bad_history_exits_2_with_a_clear_message(trained: Path, edit, message: str) -> None:
    frame = edit(pd.read_csv(trained / "h.csv").head(400))
    frame.to_csv(trained / "bad.csv", index=False)
    done = _cli("outcomes", "train", "--data", "bad.csv", "--out", "bad_model", cwd=trained)
    assert done.returncode == 2, done
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_empty_and_missing_files_exit_2(trained: Path) -> None:
    (trained / "empty.csv").write_text("")
    for path in ("empty.csv", "nowhere.csv"):
        done = _cli("outcomes", "train", "--data", path, "--out", "x", cwd=trained)
        assert done.returncode == 2, done
        assert path in done.stderr and "Traceback" not in done.stderr
    done = _cli("outcomes", "evaluate", "--model", "no_model", "--data", "h.csv", cwd=trained)
    assert done.returncode == 2 and "model directory" in done.stderr


def test_unknown_feature_in_registry_exits_2(trained: Path) -> None:
    (trained / "registry.yaml").write_text(
        "features:\n  destination: {kind: categorical, predictor: true}\n"
        "  shoe_size: {kind: ordinal, predictor: true}\n")
    done = _cli("outcomes", "train", "--data", "h.csv", "--out", "x", "--registry",
                "registry.yaml", cwd=trained)
    assert done.returncode == 2, done
    assert "shoe_size" in done.stderr and "Traceback" not in done.stderr


def test_predict_refuses_a_families_file_in_french(trained: Path) -> None:
    history = pd.read_csv(trained / "h.csv")
    members = history.drop(columns=["destination", "employed_1y", "earnings_band",
                                    "retained_1y"]).head(20)
    members.rename(columns={"person_id": "member_id"}).to_csv(trained / "m-fr.csv", index=False)
    (trained / "f-fr.csv").write_text("family_id,persons\nF1,2\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "fairshare", "outcomes", "predict", "--model",
                           "model", "--members", "m-fr.csv", "--families", "f-fr.csv", "--out",
                           "s-fr.csv"], capture_output=True, text=True, cwd=trained, timeout=600,
                          check=False, env={**os.environ, "FAIRSHARE_LANG": "fr"})
    assert done.returncode == 2, done.stderr
    assert ("Erreur : Le fichier des familles f-fr.csv doit avoir les colonnes family_id et "
            "size.") in done.stderr
    assert not (trained / "s-fr.csv").exists()
