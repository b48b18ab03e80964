"""The sweep commands as a user runs them: the small example end to end, the report, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_small_example_sweep_and_report(run_cli, tmp_path):
    res = run_cli("sweep", str(ROOT / "examples" / "sweep-small.yaml"), "--out", "small",
                  "--workers", "2", "--format", "json")
    assert res.exit_code == 0, res
    summary = json.loads(res.stdout)
    assert summary["total"] == summary["computed"] == 8 and summary["failed"] == 0
    rep = run_cli("sweep", "report", "small", "--out", "rep/report.html")
    assert rep.exit_code == 0, rep
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2 and "<table>" in html
    assert "canada-population" in html and "eu-2024-reference" in html
    for name in ("report-frontier.png", "report-surplus.png"):
        assert (tmp_path / "rep" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = (tmp_path / "rep" / "report-scenarios.csv").read_text(encoding="utf-8").splitlines()
    assert len(table) == 1 + 4 and table[0].startswith("number,scenario,key,")
    import fairshare

    df = fairshare.read_sweep(tmp_path / "small")
    assert len(df) == 8 * 13 and df["solidarity_policy"].eq("canada-ihap").all()


def test_bad_grid_exits_2_before_anything_runs(run_cli, tmp_path):
    (tmp_path / "g.yaml").write_text("base: {consent_rate: 1.0}\naxes:\n  key: [canada-population]\n"
                                     "  volume: [100]\n  seeds: [1]\n", encoding="utf-8")
    res = run_cli("sweep", "g.yaml", "--out", "out")
    assert res.exit_code == 2 and "max_families_per_cell" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "out").exists()
    bad = run_cli("sweep", "report", "nowhere", "--out", "r.html")
    assert bad.exit_code == 2 and "no manifest.json" in bad.stderr
    help_text = run_cli("sweep", "--help")
    assert help_text.exit_code == 0 and "report" in help_text.stdout
