"""The sweep commands as a user runs them: the small example end to end, the report, errors."""

from __future__ import annotations

import html as html_text
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small example swept once (8 cells) for the tests of this module."""
    folder = tmp_path_factory.mktemp("sweep") / "small"
    res = subprocess.run([sys.executable, "-m", "fairshare", "sweep",
                          str(ROOT / "examples" / "sweep-small.yaml"), "--out", str(folder),
                          "--workers", "2", "--format", "json"], capture_output=True, text=True,
                         timeout=600, check=False)
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["total"] == summary["computed"] == 8 and summary["failed"] == 0
    return folder


def test_small_example_sweep_and_report(run_cli, tmp_path, small):
    shutil.copytree(small, tmp_path / "small")
    rep = run_cli("sweep", "report", "small", "--out", "rep/report.html",
                  env={"FAIRSHARE_LANG": "en"})
    assert rep.exit_code == 0, rep
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2 and "<table>" in html
    assert '<html lang="en">' in html and "<h2>Frontier</h2>" in html
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


def test_sweep_report_in_french(run_cli, tmp_path, small):
    """`sweep report --lang fr`: no English word in the page, French numbers, French pictures
    (the CSV for programs keeps its column names)."""
    from test_french_crawl import english_words, visible_text

    rep = run_cli("sweep", "report", str(small), "--out", "fr/report.html", "--lang", "fr",
                  env={"FAIRSHARE_LANG": "fr"})
    assert rep.exit_code == 0 and rep.stdout.startswith("Écrits : "), rep
    page = (tmp_path / "fr" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page
    text, _ = visible_text(page)
    assert english_words(text) == [], english_words(text)
    assert "Frontière" in text and "Excédent de fin d'année" in text and "équilibrée" in text
    assert "0,68" in text and "0.68" not in text  # the volume axis, with a decimal comma
    assert re.search(r"\d\u00a0\d{3},\d", html_text.unescape(page))  # 27 878,5: Babel's fr_CA
    assert (tmp_path / "fr" / "report-scenarios.csv").read_text().startswith("number,scenario,key,")
    english = run_cli("sweep", "report", str(small), "--out", "en/report.html",
                      env={"FAIRSHARE_LANG": "en"})
    en_png = (tmp_path / "en" / "report-frontier.png").read_bytes()
    assert english.exit_code == 0 and en_png != (tmp_path / "fr" / "report-frontier.png").read_bytes()
