"""`fairshare synth members`: members consistent with a families file, deterministic, with clear
errors for a bad families file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from fairshare.members_synth import synth_members


def test_each_family_gets_its_size_and_an_adult() -> None:
    families = [("F3", 6), ("F1", 1), ("F2", 3), ("F9", 25)]
    members = synth_members(families, seed=3)
    sizes = members.groupby("family_id").size().to_dict()
    assert sizes == dict(families)
    assert (members.groupby("family_id")["age"].max() >= 18).all()
    assert members["member_id"].is_unique
    assert members.equals(synth_members(list(reversed(families)), seed=3))  # order does not matter
    assert not members.equals(synth_members(families, seed=4))
    assert set(members["english_level"]) <= {0, 1, 2, 3}


def test_cli_writes_the_members_of_a_batch(run_cli, tmp_path: Path) -> None:
    assert run_cli("synth", "batch", "--families", "20", "--seed", "2", "--out", ".").exit_code == 0
    res = run_cli("synth", "members", "--families", "families.csv", "--seed", "2", "--out", "m.csv")
    assert res.exit_code == 0, res
    with (tmp_path / "families.csv").open(encoding="utf-8") as f:
        sizes = {r["family_id"]: int(r["size"]) for r in csv.DictReader(f)}
    with (tmp_path / "m.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sum(sizes.values()) == len(rows)
    assert {r["family_id"] for r in rows} == set(sizes)


@pytest.mark.parametrize(("content", "message"), [
    ("family_id,persons\nF1,2\n", "missing column(s) size"),
    ("family_id,size\nF1,two\n", "row 2, column size: 'two' is not a whole number"),
    ("family_id,size\nF1,2\nF1,3\n", "row 3, column family_id: duplicate family id"),
    ("family_id,size\nF1,0\n", "row 2, column size: must be between 1 and 30"),
])
def test_bad_families_file_exits_2_naming_row_and_column(run_cli, tmp_path: Path, content: str,
                                                         message: str) -> None:
    (tmp_path / "f.csv").write_text(content, encoding="utf-8")
    res = run_cli("synth", "members", "--families", "f.csv", "--out", "m.csv")
    assert res.exit_code == 2 and message in res.stderr, res
    assert not (tmp_path / "m.csv").exists()


def test_docstring_example() -> None:
    import doctest

    import fairshare.members_synth as module

    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
