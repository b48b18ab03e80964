"""The `fairshare match` and `fairshare synth batch` contract, run as a user would."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def batch(tmp_path: Path) -> dict[str, Path]:
    return {
        "families": _write(tmp_path / "families.csv",
                           "family_id,size,consent,excluded,preferences,services\n"
                           "a,2,true,,NB;ON,\nb,1,true,ON,,french\nc,3,false,,,\n"),
        "destinations": _write(tmp_path / "destinations.csv",
                               "code,capacity,min,max,services\nNB,2,,,french\nON,5,,,\n"),
        "scores": _write(tmp_path / "scores.csv",
                         "family_id,destination,score\na,NB,0.9\na,ON,0.5\nb,NB,0.8\n"
                         "b,ON,0.2\nc,NB,0.5\nc,ON,0.5\n"),
    }


def _args(batch: dict[str, Path]) -> list[str]:
    return ["match", "--families", str(batch["families"]), "--destinations",
            str(batch["destinations"]), "--scores", str(batch["scores"])]


def test_match_writes_plan_and_explanations(run_cli, batch, tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    expl = tmp_path / "explain.json"
    r = run_cli(*_args(batch), "--out", str(plan), "--explain", str(expl))
    assert r.exit_code == 0, r
    rows = list(csv.DictReader(plan.open(encoding="utf-8")))
    assert rows == [{"family_id": "a", "destination": "ON"},
                    {"family_id": "b", "destination": "NB"},
                    {"family_id": "c", "destination": ""}]
    data = json.loads(expl.read_text(encoding="utf-8"))
    assert set(data["explanations"]) == {"a", "b", "c"}
    assert data["explanations"]["b"]["fr"].startswith("La famille b")
    assert "auto chose 'exact'" in r.stdout


def test_match_json_output_is_pure_json(run_cli, batch) -> None:
    r = run_cli(*_args(batch), "--format", "json", "--solver", "greedy")
    assert r.exit_code == 0, r
    data = json.loads(r.stdout)
    assert data["solver"] == "greedy"
    assert data["assignment"]["c"] is None


@pytest.mark.parametrize(("file", "text", "needle"), [
    ("families", "family_id,size\na,2\n", "missing column(s) consent"),
    ("families", "family_id,size,consent\na,2,maybe\n", "row 2, column consent"),
    ("families", "family_id,size,consent\na,0,true\n", "row 2, column size"),
    ("families", "family_id,size,consent,religion\na,2,true,x\n", "unknown column(s) religion"),
    ("families", "family_id,size,consent\na,2,true\na,1,true\n", "duplicate family id 'a'"),
    ("destinations", "code,capacity\nNB,-3\n", "row 2, column capacity"),
    ("destinations", "code,capacity\nNB,2\nNB,3\n", "duplicate destination id 'NB'"),
    ("scores", "family_id,destination,score\na,NB,1.5\n", "outside [0, 1]"),
    ("scores", "family_id,destination,score\na,XX,0.5\n", "unknown destination 'XX'"),
    ("families", "family_id,size,consent,excluded\na,2,true,ZZ\n", "unknown destination 'ZZ'"),
])
def test_bad_input_exits_2_with_a_clear_message(run_cli, batch, file, text, needle) -> None:
    _write(batch[file], text)
    r = run_cli(*_args(batch))
    assert r.exit_code == 2, r
    assert needle in r.stderr
    assert "Traceback" not in r.stderr


def test_broken_encoding_exits_2(run_cli, batch) -> None:
    batch["scores"].write_bytes(b"family_id,destination,score\n\xff\xfe,NB,0.5\n")
    r = run_cli(*_args(batch))
    assert r.exit_code == 2
    assert "not UTF-8" in r.stderr


def test_unknown_solver_and_policy_exit_2(run_cli, batch) -> None:
    assert run_cli(*_args(batch), "--solver", "magic").exit_code == 2
    r = run_cli(*_args(batch), "--policy", "nope")
    assert r.exit_code == 2
    assert "neither a preset" in r.stderr


def test_synth_batch_round_trips_through_match(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "b"
    r = run_cli("synth", "batch", "--families", "120", "--seed", "4", "--out", str(out))
    assert r.exit_code == 0, r
    r = run_cli("match", "--families", str(out / "families.csv"), "--destinations",
                str(out / "destinations.csv"), "--scores", str(out / "scores.csv"),
                "--format", "json")
    assert r.exit_code == 0, r
    data = json.loads(r.stdout)
    assert data["status"] == "optimal"
    assert data["violations"] == []
    assert data["persons_placed"] == data["persons_placeable"]


def test_infeasible_batch_exits_0_with_a_diagnosis(run_cli, tmp_path: Path) -> None:
    fam = _write(tmp_path / "f.csv", "family_id,size,consent,services\n"
                 "a,4,true,french\nb,4,true,french\n")
    dest = _write(tmp_path / "d.csv", "code,capacity,services\nQC,4,french\nAB,10,\n")
    r = run_cli("match", "--families", str(fam), "--destinations", str(dest),
                "--format", "json")
    assert r.exit_code == 0, r
    data = json.loads(r.stdout)
    assert data["persons_placed"] == 4
    assert "French-language services needed by 8 persons, offered for 4." in data["diagnosis"]


def test_member_level_scores_are_averaged_per_family(run_cli, tmp_path: Path) -> None:
    fam = _write(tmp_path / "f.csv", "family_id,size,consent\na,2,true\nb,1,true\n")
    dest = _write(tmp_path / "d.csv", "code,capacity\nNB,2\nON,5\n")
    mem = _write(tmp_path / "m.csv", "member_id,family_id,birth_year,languages\n"
                 "a1,a,1990,fr:B2;en:A2\na2,a,2015,fr:A1\nb1,b,1985,en:C1\n")
    scores = _write(tmp_path / "s.csv", "member_id,destination,score\n"
                    "a1,NB,1.0\na2,NB,0.8\na1,ON,0.5\na2,ON,0.5\nb1,NB,0.8\nb1,ON,0.2\n")
    r = run_cli("match", "--families", str(fam), "--destinations", str(dest), "--members",
                str(mem), "--scores", str(scores), "--format", "json")
    assert r.exit_code == 0, r
    data = json.loads(r.stdout)
    assert data["assignment"] == {"a": "NB", "b": "ON"}
    assert data["objective"] == pytest.approx(1.8 + 0.2)
    r = run_cli("match", "--families", str(fam), "--destinations", str(dest), "--members",
                str(mem), "--format", "json")
    assert r.exit_code == 0, r  # default scorer per member
    bad = _write(tmp_path / "m2.csv", "member_id,family_id\nz1,zz\n")
    r = run_cli("match", "--families", str(fam), "--destinations", str(dest), "--members",
                str(bad))
    assert r.exit_code == 2
    assert "unknown families zz" in r.stderr
