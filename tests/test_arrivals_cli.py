"""The `fairshare simulate` and `fairshare synth arrivals` contract, run as a user would."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

JSON_KEYS = {"policy", "persons_placed", "outcome", "hindsight_outcome", "hindsight_fraction",
             "max_balance_gap", "batches", "seconds"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def stream(tmp_path: Path) -> dict[str, Path]:
    return {
        "families": _write(tmp_path / "families.csv",
                           "family_id,size,consent,arrived_on\n"
                           "f1,1,true,2024-01-02\nf2,1,true,2024-01-09\nf3,2,false,2024-02-01\n"),
        "destinations": _write(tmp_path / "destinations.csv", "code,capacity\nA,1\nB,5\n"),
        "scores": _write(tmp_path / "scores.csv",
                         "family_id,destination,score\nf1,A,0.6\nf1,B,0.5\nf2,A,0.9\n"
                         "f2,B,0.1\nf3,A,0.5\nf3,B,0.5\n"),
    }


def _args(s: dict[str, Path], *extra: str) -> list[str]:
    return ["simulate", "--families", str(s["families"]), "--destinations",
            str(s["destinations"]), "--scores", str(s["scores"]), *extra]


def test_simulate_json_and_plan(run_cli, stream, tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    r = run_cli(*_args(stream, "--policy", "myopic", "--format", "json", "--out", str(plan)))
    assert r.exit_code == 0, r
    out = json.loads(r.stdout)
    assert set(out) == JSON_KEYS
    assert out["policy"] == "myopic"
    assert out["outcome"] == pytest.approx(0.7)
    assert out["hindsight_outcome"] == pytest.approx(1.4)
    assert out["hindsight_fraction"] == pytest.approx(0.5)
    assert out["batches"] == 3
    rows = list(csv.DictReader(plan.open(encoding="utf-8")))
    assert [tuple(r.values()) for r in rows] == [("f1", "A", "2024-01-07"),
                                                 ("f2", "B", "2024-01-14"),
                                                 ("f3", "", "2024-02-04")]


def test_simulate_hindsight_equals_match_exact(run_cli, tmp_path: Path) -> None:
    folder = tmp_path / "year"
    r = run_cli("synth", "arrivals", "--families", "250", "--seed", "4", "--out", str(folder))
    assert r.exit_code == 0, r
    sim = run_cli("simulate", "--families", str(folder / "families.csv"), "--destinations",
                  str(folder / "destinations.csv"), "--scores", str(folder / "scores.csv"),
                  "--policy", "hindsight", "--format", "json", "--out", str(tmp_path / "h.csv"))
    assert sim.exit_code == 0, sim
    # match takes no arrived_on: the same families without it
    rows = list(csv.DictReader((folder / "families.csv").open(encoding="utf-8")))
    with (tmp_path / "batch.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, [k for k in rows[0] if k != "arrived_on"])
        w.writeheader()
        for row in rows:
            w.writerow({k: v for k, v in row.items() if k != "arrived_on"})
    match = run_cli("match", "--families", str(tmp_path / "batch.csv"), "--destinations",
                    str(folder / "destinations.csv"), "--scores", str(folder / "scores.csv"),
                    "--solver", "exact", "--format", "json", "--out", str(tmp_path / "m.csv"))
    assert match.exit_code == 0, match
    assert json.loads(sim.stdout)["hindsight_outcome"] == pytest.approx(
        json.loads(match.stdout)["objective"], rel=1e-6)
    h = {r["family_id"]: r["destination"] for r in csv.DictReader((tmp_path / "h.csv").open())}
    m = {r["family_id"]: r["destination"] for r in csv.DictReader((tmp_path / "m.csv").open())}
    assert h == m


def test_synth_arrivals_quarters_then_balancing_report(run_cli, tmp_path: Path) -> None:
    folder = tmp_path / "q"
    r = run_cli("synth", "arrivals", "--year", "2024", "--families", "400", "--seed", "2",
                "--out", str(folder), "--quarters")
    assert r.exit_code == 0, r
    header = (folder / "families.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(",arrived_on")
    assert (folder / "periods.csv").read_text().startswith("code,start,end,capacity")
    html, png = tmp_path / "sim.html", tmp_path / "sim.png"
    sim = run_cli("simulate", "--families", str(folder / "families.csv"), "--destinations",
                  str(folder / "destinations.csv"), "--scores", str(folder / "scores.csv"),
                  "--periods", str(folder / "periods.csv"), "--carry-forward", "--policy",
                  "balancing", "--cadence", "month", "--report", str(html), "--png", str(png))
    assert sim.exit_code == 0, sim
    assert "Placements over the year" in sim.stdout
    page = html.read_text(encoding="utf-8")
    assert page.count("<svg") == 3 and "<script" not in page and "http" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_simulation_report_in_french(run_cli, tmp_path: Path) -> None:
    """`simulate --report` follows FAIRSHARE_LANG (and --lang): no English word in the page,
    months and numbers as Babel writes them for fr_CA."""
    from test_french_crawl import english_words, visible_text

    folder = tmp_path / "y"
    assert run_cli("synth", "arrivals", "--families", "300", "--seed", "3", "--out",
                   str(folder)).exit_code == 0
    files = ["--families", str(folder / "families.csv"), "--destinations",
             str(folder / "destinations.csv"), "--scores", str(folder / "scores.csv"),
             "--policy", "balancing", "--cadence", "month"]
    fr, en = tmp_path / "fr.html", tmp_path / "en.html"
    sim = run_cli("simulate", *files, "--report", str(fr), "--png", str(tmp_path / "fr.png"),
                  env={"FAIRSHARE_LANG": "fr"})
    assert sim.exit_code == 0, sim
    assert "Placements sur l'année" in sim.stdout and "personnes placées, résultat" in sim.stdout
    page = fr.read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and page.count("<svg") == 3
    text, _ = visible_text(page)
    assert english_words(text) == [], english_words(text)
    assert "Remplissage par destination" in text and "équilibrage" in text
    assert "janv. 2024" in text and "Jan 2024" not in text
    assert re.search(r"\d,\d\u00a0%", text)  # 94,0 %: decimal comma, no-break space
    assert re.search(r"\d,\d{3}\b", text) and not re.search(r"\d\.\d{3}\b", text)
    assert (tmp_path / "fr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    sim_en = run_cli("simulate", *files, "--report", str(en), "--lang", "en",
                     env={"FAIRSHARE_LANG": "fr"})
    assert sim_en.exit_code == 0, sim_en
    english = en.read_text(encoding="utf-8")
    assert '<html lang="en">' in english and "Fill per destination" in english
    assert "Jan 2024" in english


def _bad(run_cli, stream, *extra: str) -> str:
    r = run_cli(*_args(stream, "--policy", "greedy", *extra))
    assert r.exit_code == 2, r
    assert "Traceback" not in r.stderr
    return r.stderr


def test_missing_arrived_on_column(run_cli, stream) -> None:
    _write(stream["families"], "family_id,size,consent\nf1,1,true\n")
    err = _bad(run_cli, stream)
    assert "families.csv" in err and "arrived_on" in err and "missing column" in err


def test_malformed_arrived_on(run_cli, stream) -> None:
    _write(stream["families"], "family_id,size,consent,arrived_on\nf1,1,true,2024-01-02\n"
                               "f2,1,true,02/01/2024\n")
    err = _bad(run_cli, stream)
    assert "families.csv, row 3, column arrived_on" in err and "YYYY-MM-DD" in err
    _write(stream["families"], "family_id,size,consent,arrived_on\nf1,1,true,\n")
    assert "row 2, column arrived_on: empty" in _bad(run_cli, stream)


def test_other_family_errors_keep_the_real_file_name(run_cli, stream) -> None:
    _write(stream["families"], "family_id,size,consent,arrived_on\nf1,x,true,2024-01-02\n")
    err = _bad(run_cli, stream)
    assert f"{stream['families']}, row 2, column size" in err


def test_overlapping_periods(run_cli, stream, tmp_path: Path) -> None:
    periods = _write(tmp_path / "periods.csv", "code,start,end,capacity\n"
                     "B,2024-01-01,2024-03-31,2\nB,2024-03-15,2024-06-30,2\n")
    err = _bad(run_cli, stream, "--periods", str(periods))
    assert "periods.csv, row 3, column start" in err and "overlaps" in err


def test_periods_exceeding_capacity(run_cli, stream, tmp_path: Path) -> None:
    periods = _write(tmp_path / "periods.csv", "code,start,end,capacity\n"
                     "B,2024-01-01,2024-03-31,4\nB,2024-04-01,2024-06-30,2\n")
    err = _bad(run_cli, stream, "--periods", str(periods))
    assert "periods.csv, row 3, column capacity" in err and "above its capacity of 5" in err


def test_malformed_period_cells(run_cli, stream, tmp_path: Path) -> None:
    periods = _write(tmp_path / "periods.csv", "code,start,end,capacity\n"
                     "B,2024-01-01,2024-13-01,4\n")
    assert "periods.csv, row 2, column end" in _bad(run_cli, stream, "--periods", str(periods))
    _write(periods, "code,start,end,capacity\nZ,2024-01-01,2024-02-01,4\n")
    assert "row 2, column code" in _bad(run_cli, stream, "--periods", str(periods))


def test_per_batch_columns_are_refused(run_cli, stream) -> None:
    _write(stream["destinations"], "code,capacity,min\nA,1,\nB,5,2\n")
    err = _bad(run_cli, stream)
    assert "destinations.csv, row 3, column min" in err


def test_unknown_policy_and_cadence(run_cli, stream) -> None:
    r = run_cli(*_args(stream, "--policy", "best"))
    assert r.exit_code == 2 and "Unknown policy" in r.stderr
    r = run_cli(*_args(stream, "--cadence", "year"))
    assert r.exit_code == 2 and "Unknown cadence" in r.stderr


def test_nothing_written_on_error(run_cli, stream, tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    _write(stream["families"], "family_id,size,consent,arrived_on\nf1,1,true,soon\n")
    _bad(run_cli, stream, "--out", str(plan))
    assert not plan.exists()


def test_targets_and_horizon_options(run_cli, stream, tmp_path: Path) -> None:
    targets = _write(tmp_path / "targets.csv", "code,target\nA,1\nB,3\n")
    r = run_cli(*_args(stream, "--policy", "balancing", "--targets", str(targets),
                       "--horizon", "4w", "--samples", "2", "--format", "json"))
    assert r.exit_code == 0, r
    assert json.loads(r.stdout)["persons_placed"] == 2
    r = run_cli(*_args(stream, "--horizon", "soon"))
    assert r.exit_code == 2 and "--horizon" in r.stderr
    _write(targets, "code,target\nZ,1\n")
    r = run_cli(*_args(stream, "--policy", "balancing", "--targets", str(targets)))
    assert r.exit_code == 2 and "targets.csv, row 2, column code" in r.stderr
