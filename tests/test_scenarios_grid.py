"""Grids: checked before anything runs, expanded to deterministic cells."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from fairshare.errors import ScenarioError
from fairshare.scenarios.cell import run_cell
from fairshare.scenarios.grid import load_grid

FIXTURES = Path(__file__).parent / "fixtures" / "scenarios"
ROOT = Path(__file__).resolve().parents[1]


def grid_file(tmp_path: Path, axes: str,
              base: str = "  consent_rate: 0.002\n  solver: greedy\n  solidarity: canada-ihap\n") -> Path:
    path = tmp_path / "grid.yaml"
    path.write_text(f"name: t\nbase:\n{base}axes:\n{axes}", encoding="utf-8")
    return path


@pytest.mark.parametrize(("axes", "base", "message"), [
    ("  key: [no-such-key]\n  seeds: [1]\n", None, r"axes.key\[0\] 'no-such-key'.*Unknown key"),
    ("  key: []\n  seeds: [1]\n", None, r"axes.key: the axis is empty"),
    ("  key: [canada-population]\n  seeds: []\n", None, r"axes.seeds: the axis is empty"),
    ("  key: [canada-population]\n", None, r"axes.seeds: this axis is required"),
    ("  key: [canada-population]\n  seeds: [1]\n  colour: [red]\n", None, r"unknown axis colour"),
    ("  key: [canada-population]\n  seeds: [1]\n  online_policy: [clairvoyant]\n", None,
     r"axes.online_policy\[0\] 'clairvoyant': unknown online policy"),
    ("  key: [canada-population]\n  seeds: [1]\n  volume: [0]\n", None, r"axes.volume\[0\].*out of range"),
    ("  key: [canada-population]\n  seeds: [1, 1]\n", None, r"listed twice"),
    ("  key: [canada-population]\n  seeds: [1]\n  policy: [nope]\n", None, r"axes.policy\[0\] 'nope'"),
    # Cells of millions of families: refused before anything runs.
    ("  key: [canada-population]\n  seeds: [1]\n  volume: [100]\n", "  consent_rate: 1.0\n",
     r"would simulate about 5,[\d,]+ families, more than max_families_per_cell \(50,000\)"),
    ("  key: [canada-population]\n  seeds: [1]\n", "  max_families_per_cell: 10000000\n",
     r"base.max_families_per_cell: 10000000 is out of range"),
    ("  key: [canada-population]\n  seeds: [1]\n  volume: [250]\n", None,
     r"axes.volume\[0\]: 250 is out of range"),
    ("  key: [canada-population]\n  seeds: [1]\n", "  year: '1999'\n", r"base.year: no arrivals data for 1999"),
    ("  key: [canada-population]\n  seeds: [1]\n", "  solidarity: nothing\n", r"base.solidarity"),
    ("  key: [canada-population]\n  seeds: [1]\n", "  flavour: x\n", r"unknown setting\(s\) flavour"),
    ("  key: [canada-population]\n  seeds: [1]\n  pledges: [missing.csv]\n", None, r"not found"),
])
def test_bad_grids_get_a_clear_error(tmp_path, axes, base, message):
    path = grid_file(tmp_path, axes) if base is None else grid_file(tmp_path, axes, base)
    with pytest.raises(ScenarioError, match=message) as info:
        load_grid(path)
    assert str(path) in str(info.value)


def test_huge_cell_named_with_its_volume(tmp_path):
    path = grid_file(tmp_path, "  key: [canada-population]\n  seeds: [1]\n  volume: [1, 60]\n",
                     "  consent_rate: 0.1\n")
    with pytest.raises(ScenarioError, match="volume=60") as info:
        load_grid(path)
    assert "max_families_per_cell (50,000)" in str(info.value)


def test_a_bad_pledge_row_is_named(tmp_path):
    bad = tmp_path / "p.csv"
    bad.write_text("jurisdiction,period,persons,source\nXX,2024,10,letter\nNB,2024,-3,letter\n",
                   encoding="utf-8")
    path = grid_file(tmp_path, "  key: [canada-population]\n  seeds: [1]\n  pledges: [p.csv]\n")
    with pytest.raises(ScenarioError) as info:
        load_grid(path)
    text = str(info.value)
    assert "row 2, column jurisdiction: 'XX'" in text and "row 3, column persons: '-3'" in text


def test_expansion_ids_and_pledges(tmp_path):
    (tmp_path / "pledges-2026.csv").write_bytes((FIXTURES / "pledges-2026.csv").read_bytes())
    path = grid_file(tmp_path, "  key: [canada-population, eu-2024-reference]\n"
                     "  pledges: [none, pledges-2026.csv]\n  capacity: [1, 0.5]\n"
                     "  seeds: {start: 5, count: 3}\n",
                     "  consent_rate: 0.002\n  solver: greedy\n  pledge_year: '2026'\n")
    grid = load_grid(path)
    assert len(grid.cells) == 2 * 2 * 2 * 3 and len(grid.scenarios) == 8
    assert len({c.cell_id for c in grid.cells}) == 24
    assert [c.seed for c in grid.cells[:3]] == [5, 6, 7]
    again = load_grid(path)
    assert [c.cell_id for c in again.cells] == [c.cell_id for c in grid.cells]
    assert again.grid_hash == grid.grid_hash
    pledged = next(c for c in grid.cells if c.params["pledges"] == "pledges-2026"
                   and c.params["capacity"] == 0.5)
    assert sum(pledged.offers["NB"]) == pytest.approx(600)
    assert pledged.offers["NS"][0] == pytest.approx(50) and pledged.offers["NS"][3] == 0
    assert sum(pledged.offers["QC"]) == 0
    # Changing the pledge file changes the cells it defines.
    (tmp_path / "pledges-2026.csv").write_text(
        "jurisdiction,period,persons,source\nNB,2026,10,x\n", encoding="utf-8")
    changed = load_grid(path)
    assert changed.grid_hash != grid.grid_hash


def test_cells_are_deterministic_per_seed(tmp_path):
    grid = load_grid(grid_file(tmp_path, "  key: [canada-population]\n  seeds: [1, 2]\n"))
    a, b = grid.cells
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert strip(run_cell(a)) == strip(run_cell(a))
    assert strip(run_cell(a)) != strip(run_cell(b))
    rows = run_cell(a)
    by = {r["jurisdiction"]: r for r in rows}
    assert sum(r["relocated"] for r in rows) == sum(r["relocated_out"] for r in rows)
    assert sum(r["fair_share"] for r in rows) == sum(r["intake"] for r in rows)
    for r in rows:
        assert r["surplus"] == r["intake"] + r["relocated"] - r["relocated_out"] - r["fair_share"]
    assert by["QC"]["relocated"] == 0 and by["QC"]["relocated_out"] > 0  # QC sends, never receives
    assert 0 < rows[0]["hindsight_fraction"] <= 1.05
    # IHAP: only those above their fair share receive, nobody pays.
    assert all(r["solidarity_amount"] >= 0 for r in rows)
    assert by["QC"]["solidarity_amount"] == pytest.approx(by["QC"]["surplus"] * 8004)


def test_a_failing_cell_raises_inside_run_cell(tmp_path):
    grid = load_grid(grid_file(tmp_path, "  key: [canada-population]\n  seeds: [1]\n"))
    with pytest.raises(RuntimeError, match="boom"):
        run_cell(dataclasses.replace(grid.cells[0], fail="boom"))


@pytest.mark.parametrize("name", ["sweep-small.yaml", "sweep-canada.yaml"])
def test_shipped_examples_load(name):
    grid = load_grid(ROOT / "examples" / name)
    assert grid.cells and len(grid.scenarios) >= 2


@pytest.mark.parametrize("online", ["myopic", "greedy", "dual-prices", "balancing", "rotation"])
def test_every_online_policy_of_the_arrivals_engine_runs(tmp_path, online):
    grid = load_grid(grid_file(tmp_path, f"  key: [canada-population]\n  online_policy: [{online}]\n"
                                         "  seeds: [3]\n"))
    [cell] = grid.cells
    assert cell.engine == "arrivals"
    rows = run_cell(cell)
    assert {r["engine"] for r in rows} == {"arrivals"}
    assert sum(r["relocated"] for r in rows) == sum(r["relocated_out"] for r in rows) > 0
    # Never more persons to a destination than it offered in the year.
    assert all(r["relocated"] <= r["pledged"] for r in rows)
    assert 0 < rows[0]["hindsight_fraction"] <= 1 + 1e-9


def test_matching_engine_fallback_and_its_limits(tmp_path):
    base = "  consent_rate: 0.002\n  solver: greedy\n  engine: matching\n"
    grid = load_grid(grid_file(tmp_path, "  key: [canada-population]\n"
                               "  policy: [balanced, outcome]\n  seeds: [1]\n", base))
    rows = run_cell(grid.cells[0])
    assert rows[0]["engine"] == "matching" and sum(r["relocated"] for r in rows) > 0
    with pytest.raises(ScenarioError, match="engine matching simulates myopic"):
        load_grid(grid_file(tmp_path, "  key: [canada-population]\n  online_policy: [balancing]\n"
                            "  seeds: [1]\n", base))
    with pytest.raises(ScenarioError, match="axes.policy: the matching policy applies to engine"):
        load_grid(grid_file(tmp_path, "  key: [canada-population]\n  policy: [balanced, outcome]\n"
                            "  seeds: [1]\n"))
    with pytest.raises(ScenarioError, match="base.online_options: Unknown option"):
        load_grid(grid_file(tmp_path, "  key: [canada-population]\n  seeds: [1]\n",
                            "  online_options: {colour: 1}\n"))


def test_grid_errors_read_in_french(tmp_path, run_cli):
    """A bad grid is explained in the reader's language; the nested error (a key) too."""
    path = grid_file(tmp_path, "  key: [canada-population]\n  seeds: [1]\n  volume: [250]\n")
    with pytest.raises(ScenarioError) as info:
        load_grid(path)
    assert info.value.text("fr") == (f"{path}, axes.volume[0] : 250 est hors limites ; utilisez "
                                     "un nombre > 0 et <= 100.")
    path = grid_file(tmp_path, "  key: [no-such-key]\n  seeds: [1]\n")
    with pytest.raises(ScenarioError) as info:
        load_grid(path)
    french = info.value.text("fr")
    assert french.startswith(f"{path}, axes.key[0] 'no-such-key' : ") and "Unknown" not in french
    res = run_cli("sweep", str(grid_file(tmp_path, "  key: [canada-population]\n  seeds: [1, 1]\n")),
                  "--out", "out", env={"FAIRSHARE_LANG": "fr"})
    assert res.exit_code == 2, res
    assert "axes.seeds : une valeur figure deux fois ; indiquez chaque valeur une seule fois." \
        in res.stderr
    assert not (tmp_path / "out").exists()
