"""Reference data: catalogue complete, values consistent with the published totals, bad folders clear."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fairshare.errors import DataError
from fairshare.reference import load_federation, shipped_folder


def test_canada_catalogue_is_complete_and_sourced() -> None:
    fed = load_federation()
    assert len(fed.codes) == 13
    for ind in fed.indicators.values():
        assert ind.source.url.startswith("https://") and ind.unit and ind.confidence
    assert sum(fed.values("population", "2025-04-01").values()) == 41_548_787
    assert fed.indicator("unemployment").confidence == "derived"
    assert fed.intake().period_notes["2025"].startswith("January")
    claims = fed.intake()
    assert claims.extra_rows["2024"]["CANADA_TOTAL"] == 171_835


def test_germany_is_a_worked_example() -> None:
    fed = load_federation("germany")
    assert len(fed.codes) == 16
    assert sum(fed.values("koenigstein", "2020").values()) == pytest.approx(100.0, abs=1e-9)


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "fed"
    shutil.copytree(shipped_folder("canada"), dst)
    return dst


def test_unknown_jurisdiction_code_names_file_row_column(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "gdp_2024_cad_million.csv"
    path.write_text(path.read_text(encoding="utf-8") + "XX,12\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"gdp_2024_cad_million.csv, row 15, column code: unknown jurisdiction 'XX'"):
        load_federation(folder)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    ("code,gdp_2024_cad_million\nQC,é\n".encode("latin-1"), "not valid UTF-8"),
    (b"code,gdp_2024_cad_million\nQC,lots\n", "row 2, column gdp_2024_cad_million: 'lots' is not a number"),
    (b"code,other\nQC,1\n", "missing column"),
])
def test_bad_indicator_files(tmp_path: Path, content: bytes, message: str) -> None:
    folder = _copy(tmp_path)
    (folder / "gdp_2024_cad_million.csv").write_bytes(content)
    with pytest.raises(DataError, match=message):
        load_federation(folder)


def test_missing_folder_and_catalogue(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such folder"):
        load_federation(tmp_path / "nothing")
    with pytest.raises(DataError, match="no catalogue.yaml"):
        load_federation(tmp_path)
