"""The CLI contract for data, keys, shares, balance, charts and the map."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_balance_json_contract(run_cli) -> None:
    res = run_cli("balance", "--key", "canada-population", "--years", "2024", "--format", "json")
    assert res.exit_code == 0, res
    rows = json.loads(res.stdout)  # json prints only JSON
    assert {"code", "share", "fair_share", "intake", "surplus", "fulfilment"} <= set(rows[0])
    above = {r["code"] for r in rows if r["surplus"] > 0}
    assert above == {"QC", "ON"}


def test_shares_csv_and_table(run_cli) -> None:
    res = run_cli("shares", "--key", "eu-2024-reference", "--total", "1000", "--format", "csv")
    assert res.exit_code == 0, res
    lines = res.stdout.strip().splitlines()
    assert lines[0].startswith("code,name,share,fair_share") and len(lines) == 14
    table = run_cli("shares", "--key", "canada-population", "--total", "1000")
    assert table.exit_code == 0 and "Quebec" in table.stdout


def test_data_and_keys_commands(run_cli) -> None:
    listing = run_cli("data", "list", "--format", "json")
    assert listing.exit_code == 0
    assert {r["indicator"] for r in json.loads(listing.stdout)} >= {"population", "gdp", "asylum_claims"}
    show = run_cli("data", "show", "asylum_claims", "--period", "2024")
    assert show.exit_code == 0 and "IRCC" in show.stdout and "57,215" in show.stdout
    keys = run_cli("keys", "list", "--format", "json")
    assert {k["id"] for k in json.loads(keys.stdout)} >= {"canada-population", "eu-2024-reference"}
    shown = run_cli("keys", "show", "eu-2024-reference", "--format", "json")
    assert json.loads(shown.stdout)["references"][0]["url"].startswith("https://")
    cmp = run_cli("keys", "compare", "canada-population", "eu-2024-reference", "--total", "100", "--format", "json")
    assert cmp.exit_code == 0 and "eu-2024-reference (100)" in json.loads(cmp.stdout)[0]


def test_germany_worked_example(run_cli) -> None:
    res = run_cli("shares", "--key", "de-koenigstein-2020", "--total", "100000", "--format", "json")
    rows = json.loads(res.stdout)
    assert len(rows) == 16 and sum(r["fair_share"] for r in rows) == 100_000


@pytest.mark.parametrize("suffix", ["png", "svg", "html"])
def test_balance_plot_files(run_cli, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"chart.{suffix}"
    res = run_cli("balance", "--key", "canada-population", "--years", "2019-2024", "--plot", str(out),
                  "--format", "json")
    assert res.exit_code == 0, res
    json.loads(res.stdout)
    data = out.read_bytes()
    assert len(data) > 5000
    if suffix == "html":
        assert b"cdn." not in data.lower()  # offline: nothing fetched from a CDN
        assert b"<script src=\"http" not in data


def test_map_html_is_offline(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    res = run_cli("map", "--key", "canada-population", "--years", "2024", "--out", str(out), "--lang", "fr")
    assert res.exit_code == 0, res
    page = out.read_text(encoding="utf-8")
    assert "<svg" in page
    import re

    assert not re.search(r'(src|href)="https?://', page)  # nothing is loaded from the network
    assert "Accomplissement" in page


@pytest.mark.parametrize(("args", "message"), [
    (["balance", "--key", "nope"], "Unknown key 'nope'"),
    (["balance", "--key", "canada-population", "--years", "1990"], "no intake data for 1990"),
    (["shares", "--key", "canada-population", "--total", "-5"], "total"),
    (["balance", "--key", "canada-population", "--plot", "x.gif"], "unsupported chart format"),
    (["data", "show", "nothing"], "not in the catalogue"),
    (["shares", "--key", "canada-population", "--total", "10", "--data", "/nonexistent"], "no such folder"),
])
def test_bad_input_exits_2_without_traceback(run_cli, args: list[str], message: str) -> None:
    res = run_cli(*args)
    assert res.exit_code == 2, res
    assert message in res.stderr
    assert "Traceback" not in res.stderr


def test_every_command_has_help() -> None:
    import click
    import typer.main

    from fairshare.cli import app

    offenders = []
    root = typer.main.get_command(app)

    def walk(cmd: click.Command, path: str) -> None:
        if not (cmd.help or cmd.short_help) and not getattr(cmd, "hidden", False):
            offenders.append(path)
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, f"{path} {name}")

    walk(root, "fairshare")
    assert offenders == []


def test_bad_key_and_data_files_exit_2_naming_the_place(run_cli, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: x\nlabel: a: b\n", encoding="utf-8")
    res = run_cli("shares", "--key", "bad.yaml", "--total", "10")
    assert res.exit_code == 2 and "line 2" in res.stderr and "Traceback" not in res.stderr
    import shutil

    from fairshare.reference import shipped_folder

    folder = tmp_path / "fed"
    shutil.copytree(shipped_folder("canada"), folder)
    (folder / "population_2025-04-01.csv").write_bytes("code,iso_3166_2,name,population\nQC,CA-QC,Québec,1\n".encode("latin-1"))
    res = run_cli("balance", "--key", "canada-population", "--data", str(folder))
    assert res.exit_code == 2 and "not valid UTF-8" in res.stderr and "Traceback" not in res.stderr
