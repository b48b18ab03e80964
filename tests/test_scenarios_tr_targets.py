"""Temporary-resident targets: the shipped national series, a province file in Statistics
Canada's download layout, progress toward each target."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fairshare.errors import InputError
from fairshare.negotiation import temporary_resident_frame
from fairshare.scenarios.tr_targets import load_targets, national_series, read_statcan_17100121

SAMPLE = Path(__file__).parent / "fixtures" / "scenarios" / "statcan-17100121-sample.csv"
NAMES = {"canada": "CA", "quebec": "QC", "ontario": "ON"}


def test_shipped_series_and_targets_carry_sources_and_confidence():
    series = national_series()
    assert [o.reference_date for o in series] == ["2024-10-01", "2025-01-01", "2025-07-01"]
    assert series[0].persons == 3149131 and series[0].confidence == "official (revised)"
    assert series[1].confidence.startswith("secondary")
    targets = {t.id: t for t in load_targets()}
    assert targets["levels-plan-2025-2027"].by.isoformat() == "2026-12-31"
    assert targets["levels-plan-2026-2028"].comparison == "below"
    assert targets["quebec-halve"].confidence.startswith("press")
    assert all(t.source.startswith("https://") for t in targets.values())


def test_national_progress():
    df = temporary_resident_frame()
    row = df.set_index("target").loc["levels-plan-2025-2027"]
    # 7.3% at 2025-07-01 against a 6.2% baseline and a 5% target: moving away.
    assert row["latest_share"] == 0.073 and not row["met"]
    assert row["progress"] == pytest.approx((0.062 - 0.073) / (0.062 - 0.05), abs=1e-4)
    population = 3024216 / 0.073
    assert row["remaining_persons"] == pytest.approx(3024216 - 0.05 * population, abs=1)
    quebec = df.set_index("target").loc["quebec-halve"]
    assert pd.isna(quebec["progress"]) and "--provinces" in quebec["note"]


def test_quebec_halving_from_the_province_file():
    series = read_statcan_17100121(SAMPLE, names=NAMES)
    assert [o.persons for o in series["QC"]] == [600000, 580000, 540000]
    df = temporary_resident_frame(SAMPLE).set_index("target")
    row = df.loc["quebec-halve"]
    assert row["baseline"] == 600000 and row["target_value"] == 300000
    assert row["progress"] == pytest.approx(60000 / 300000)
    assert row["remaining_persons"] == 240000 and not row["met"]


def test_bad_province_files_name_row_and_column(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text('"REF_DATE","GEO","Non-permanent resident types","VALUE"\n'
                   '"2024-13","Quebec","Total, non-permanent residents","1"\n'
                   '"2024-10","Atlantis","Total, non-permanent residents","1"\n'
                   '"2024-10","Quebec","Total, non-permanent residents","many"\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_statcan_17100121(bad, names=NAMES)
    text = str(info.value)
    assert "row 2, column REF_DATE: '2024-13'" in text
    assert "row 3, column GEO: 'Atlantis'" in text and "row 4, column VALUE: 'many'" in text
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not table 17-10-0121-01 as downloaded"):
        read_statcan_17100121(other, names=NAMES)


def test_targets_cli(run_cli):
    res = run_cli("targets", "temporary-residents", "--provinces", str(SAMPLE), "--format", "json")
    assert res.exit_code == 0, res
    rows = {r["target"]: r for r in json.loads(res.stdout)}
    assert rows["quebec-halve"]["progress"] == pytest.approx(0.2)
    assert rows["levels-plan-2026-2028"]["target_confidence"].startswith("secondary")
    missing = run_cli("targets", "temporary-residents", "--provinces", "nope.csv")
    assert missing.exit_code == 2 and "Download table 17-10-0121-01" in missing.stderr
