"""The ledger: intake against fair share, transfers, carry-forward, cumulative, totals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairshare.analysis import balance_frame, shares_frame
from fairshare.errors import InputError
from fairshare.ledger import Transfer, compute_ledger, parse_years


def test_2024_quebec_and_ontario_above_their_population_share_all_others_below() -> None:
    df = balance_frame("canada-population", years="2024")
    above = set(df.loc[df["surplus"] > 0, "code"])
    assert above == {"QC", "ON"}
    assert (df.loc[~df["code"].isin(["QC", "ON"]), "surplus"] < 0).all()
    assert int(df["fair_share"].sum()) == int(df["intake"].sum()) == 171_790
    assert df.attrs["total_basis"].startswith("sum of the jurisdictions")
    qc = df.set_index("code").loc["QC"]
    assert qc["intake"] == 57_215
    assert qc["fulfilment"] == pytest.approx(57_215 / qc["fair_share"])
    assert qc["per_1000"] == pytest.approx(57_215 / 9_110_616 * 1000)


def test_published_total_basis_uses_the_national_total() -> None:
    df = balance_frame("canada-population", years="2024", total_basis="published")
    assert int(df["fair_share"].sum()) == 171_835
    assert "published national total" in df.attrs["total_basis"]


def test_partial_year_is_flagged() -> None:
    df = balance_frame("canada-population", years="2025")
    assert any("January-July" in str(n) for n in df.attrs["notes"])


def test_transfers_move_intake_and_balance() -> None:
    moves = [Transfer("QC", "NB", 100, dt.date(2024, 5, 1)), Transfer("ON", "MB", 50, dt.date(2023, 1, 1))]
    before = balance_frame("canada-population", years="2024").set_index("code")
    after = balance_frame("canada-population", years="2024", transfers=moves).set_index("code")
    assert after.loc["QC", "surplus"] == before.loc["QC", "surplus"] - 100
    assert after.loc["NB", "surplus"] == before.loc["NB", "surplus"] + 100
    assert after.loc["ON", "surplus"] == before.loc["ON", "surplus"]  # 2023 transfer not counted
    assert any("outside" in str(n) for n in after.attrs["notes"])


def test_cumulative_sums_years_and_carry_forward_accumulates() -> None:
    yearly = balance_frame("canada-population", years="2019-2024")
    cum = balance_frame("canada-population", years="2019-2024", cumulative=True).set_index("code")
    for code, group in yearly.groupby("code"):
        assert cum.loc[code, "surplus"] == group["surplus"].sum()
    carried = balance_frame("canada-population", years="2019-2024", carry_forward=True)
    qc = carried[carried["code"] == "QC"]
    assert list(qc["balance"]) == list(qc["surplus"].cumsum())


def test_transfers_file_errors_name_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("from,to,count,date\nQC,XX,5,2024-01-01\nQC,ON,-1,2024-13-01\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        balance_frame("canada-population", years="2024", transfers=str(path))
    text = str(info.value)
    assert "row 2, column to: unknown jurisdiction 'XX'" in text
    assert "row 3, column count" in text and "row 3, column date" in text


def test_years_parsing_errors() -> None:
    with pytest.raises(InputError, match="no intake data for 2030"):
        parse_years("2029-2030", ["2024", "2029"])
    with pytest.raises(InputError, match="not a year"):
        parse_years("last", ["2024"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 100_000), min_size=2, max_size=8),
       st.lists(st.floats(0.01, 1.0), min_size=2, max_size=8))
def test_surpluses_sum_to_zero_when_the_total_is_the_intake(intakes: list[int], weights: list[float]) -> None:
    n = min(len(intakes), len(weights))
    codes = [f"J{i}" for i in range(n)]
    total_w = sum(weights[:n])
    shares = {c: w / total_w for c, w in zip(codes, weights[:n], strict=True)}
    ledger = compute_ledger(shares, {"2024": dict(zip(codes, intakes[:n], strict=True))}, ["2024"],
                            population={})
    assert sum(r.surplus for r in ledger.rows) == 0
    assert sum(r.fair_share for r in ledger.rows) == sum(intakes[:n])


def test_shares_frame_apportions_the_total() -> None:
    df = shares_frame("eu-2024-reference", total=10_000, method="webster")
    assert int(df["fair_share"].sum()) == 10_000
    assert set(df.columns) >= {"code", "share", "fair_share", "share_population", "share_gdp"}
