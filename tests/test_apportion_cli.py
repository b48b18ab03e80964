"""The `fairshare apportion` contract, run as a user would (real subprocess, no mocks)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fairshare.cli.apportion import parse_bounds, parse_weights
from fairshare.errors import InputError

Run = Callable[..., Any]
VOTES = "name,weight\nA,100000\nB,80000\nC,30000\nD,20000\n"


def _rows(stdout: str) -> list[list[str]]:
    return [line.split(",") for line in stdout.splitlines()]


def test_reads_stdin_and_writes_csv_in_input_order(run_cli: Run) -> None:
    result = run_cli("apportion", "--method", "dhondt", "--total", "8", input=VOTES)
    assert result.exit_code == 0, result
    assert result.stdout == "name,seats\nA,4\nB,3\nC,1\nD,0\n"
    assert result.stderr == ""


def test_reads_a_file_and_keeps_its_order(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "w.csv").write_text("name,weight\nzeta,1\nalpha,3\nmid,2\n", encoding="utf-8")
    result = run_cli("apportion", "--method", "webster", "--total", "12", "w.csv")
    assert result.exit_code == 0, result
    assert [r[0] for r in _rows(result.stdout)] == ["name", "zeta", "alpha", "mid"]
    assert sum(int(r[1]) for r in _rows(result.stdout)[1:]) == 12


def test_dash_means_stdin_and_windows_files_with_bom_work(run_cli: Run) -> None:
    text = "\ufeffName,Weight\r\nA,6100\r\nB,5000\r\nC,900\r\n"
    result = run_cli("apportion", "-m", "sainte-lague", "-n", "10", "-", input=text)
    assert result.exit_code == 0, result
    assert result.stdout == "name,seats\nA,5\nB,4\nC,1\n"


def test_bounds_files(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "min.csv").write_text("name,min\nD,2\n", encoding="utf-8")
    (tmp_path / "max.csv").write_text("name,seats\nA,3\n", encoding="utf-8")
    result = run_cli("apportion", "-m", "jefferson", "-n", "8", "--min-file", "min.csv",
                     "--max-file", "max.csv", input=VOTES)
    assert result.exit_code == 0, result
    seats = dict(_rows(result.stdout)[1:])
    assert seats["A"] == "3" and seats["D"] == "2"
    assert sum(map(int, seats.values())) == 8


def test_ties_go_to_stderr_and_stdout_stays_csv(run_cli: Run) -> None:
    result = run_cli("apportion", "-n", "2", input="name,weight\nx,1\ny,1\nz,1\n")
    assert result.exit_code == 0, result
    assert result.stdout == "name,seats\nx,1\ny,1\nz,0\n"
    assert result.stderr.startswith("note: Tie for seats 1-2 between x, y, z")
    assert "input order" in result.stderr


def test_explain_prints_quotas_and_divisor_on_stderr(run_cli: Run) -> None:
    result = run_cli("apportion", "-m", "dhondt", "-n", "8", "--explain", input=VOTES)
    assert result.exit_code == 0, result
    assert result.stdout == "name,seats\nA,4\nB,3\nC,1\nD,0\n"
    assert "quota" in result.stderr and "3.478261" in result.stderr
    assert "divisor: 22500" in result.stderr


def test_help_documents_the_contract(run_cli: Run) -> None:
    result = run_cli("apportion", "--help")
    assert result.exit_code == 0
    for word in ("--method", "--total", "--min-file", "--max-file", "--explain", "name,weight"):
        assert word in result.stdout


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("-n", "3"), "name,weight\nA,1\nB,-2\n", "row 3, column 2 (weight): -2 is negative"),
    (("-n", "3"), "name,weight\nA,1\nB,lots\n", "row 3, column 2 (weight): 'lots' is not a number"),
    (("-n", "3"), "name,weight\nA,1\nB,NaN\n", "row 3, column 2 (weight): 'NaN' is not a finite"),
    (("-n", "3"), "name,weight\nA,1\nB,2\nA,3\n", "row 4, column 1 (name): 'A' appears again"),
    (("-n", "-3"), VOTES, "The total is negative (-3)"),
    (("-n", "3"), "A,1\nB,2\n", "row 1: the header must be name,weight"),
    (("-n", "3"), "", "is empty"),
    (("-n", "3"), "name,weight\n", "has a header but no rows"),
    (("-n", "3"), "name,weight\nA,1,9\n", "row 2: 3 cells but the header has 2"),
    (("-n", "3"), "name,weight\n,1\n", "row 2, column 1 (name): the name is empty"),
    (("-n", "3"), "name,weight\nA,0\nB,0\n", "All weights are zero"),
    (("-n", "3", "-m", "borda"), VOTES, "Unknown apportionment method 'borda'"),
])
def test_bad_input_exits_2_with_a_clear_message(run_cli: Run, args: tuple[str, ...], stdin: str,
                                                message: str) -> None:
    result = run_cli("apportion", *args, input=stdin)
    assert result.exit_code == 2, result
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(("files", "message"), [
    ({"min.csv": "name,min\nA,5\nB,5\n"}, "The minimums add up to 10 seats, more than the total of 8"),
    ({"max.csv": "name,max\nA,1\nB,1\nC,1\nD,1\n"}, "The maximums add up to 4 seats"),
    ({"min.csv": "name,min\nQ,1\n"}, "min.csv, row 2, column 1 (name): 'Q' is not in the weights"),
    ({"min.csv": "name,min\nA,two\n"}, "min.csv, row 2, column 2 (min): 'two' is not a whole"),
    ({"max.csv": "name,limit\nA,2\n"}, "max.csv, row 1: the header must be name,seats (or name,max)"),
    ({"min.csv": "name,min\nA,3\n", "max.csv": "name,max\nA,2\n"},
     "The minimum for 'A' (3) is above its maximum (2)"),
])
def test_bad_bounds_exit_2(run_cli: Run, tmp_path: Path, files: dict[str, str],
                           message: str) -> None:
    args = []
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        args += [f"--{name.split('.')[0]}-file", name]
    result = run_cli("apportion", "-n", "8", *args, input=VOTES)
    assert result.exit_code == 2, result
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_wrong_encoding_and_missing_file_exit_2(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "latin1.csv").write_bytes("name,weight\nQuébec,1\n".encode("latin-1"))
    result = run_cli("apportion", "-n", "3", "latin1.csv")
    assert result.exit_code == 2
    assert "latin1.csv, row 2: byte 0xe9" in result.stderr and "UTF-8" in result.stderr
    result = run_cli("apportion", "-n", "3", "absent.csv")
    assert result.exit_code == 2 and "absent.csv: no such file" in result.stderr


def test_non_integer_total_is_a_usage_error(run_cli: Run) -> None:
    result = run_cli("apportion", "-n", "2.5", input=VOTES)
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "Invalid value for '--total'" in result.stderr


# --- the parsers on their own (fast) -------------------------------------------------------------

def test_weights_are_parsed_exactly() -> None:
    weights = parse_weights("name,weight\nA, 0.1 \nB,1e3\n", "w.csv")
    assert weights == {"A": pytest.approx(0.1), "B": 1000}
    assert weights["A"].denominator == 10  # exact decimal, not the float 0.1


def test_columns_may_come_in_any_order_with_extras() -> None:
    assert parse_weights("weight,note,name\n2,x,A\n", "w.csv") == {"A": 2}


def test_negative_bound_is_rejected() -> None:
    with pytest.raises(InputError, match="row 2, column 2 \\(seats\\): -1 is negative"):
        parse_bounds("name,seats\nA,-1\n", "b.csv", "min", {"A": 1})


def test_parser_doctests() -> None:
    import doctest

    import fairshare.cli.apportion as module

    assert doctest.testmod(module).failed == 0


def test_json_format_prints_only_json(run_cli: Run) -> None:
    import json

    result = run_cli("apportion", "-n", "8", "-m", "webster", "--format", "json", input=VOTES)
    assert result.exit_code == 0, result
    assert json.loads(result.stdout) == [{"name": "A", "seats": 3}, {"name": "B", "seats": 3},
                                         {"name": "C", "seats": 1}, {"name": "D", "seats": 1}]


def test_unreadable_csv_is_an_input_error() -> None:
    with pytest.raises(InputError, match="row 2: not readable as CSV"):
        parse_weights("name,weight\n" + "A" * 200_000 + ",1\n", "w.csv")


def test_absurd_exponents_are_refused_before_exact_arithmetic() -> None:
    with pytest.raises(InputError, match="row 2, column 2 \\(weight\\): 1e999999999 is out of range"):
        parse_weights("name,weight\nA,1e999999999\n", "w.csv")
    assert parse_weights("name,weight\nA,1e100\nB,0e999999\n", "w.csv")["B"] == 0


def test_bad_weights_file_is_explained_in_french(run_cli: Run) -> None:
    result = run_cli("apportion", "-n", "3", input="name,weight\nA,1\nA,2\n",
                     env={"FAIRSHARE_LANG": "fr"})
    assert result.exit_code == 2
    assert ("<stdin>, ligne 3, colonne 1 (name) : « A » apparaît de nouveau (d'abord à la ligne 2) ; "
            "chaque nom ne doit apparaître qu'une fois.") in result.stderr
