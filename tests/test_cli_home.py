"""FAIRSHARE_HOME is one absolute folder whatever the working directory, `status` shows it, and a
command on a folder without a database says where it looked (and creates nothing there)."""

from __future__ import annotations

import json
from pathlib import Path

from fairshare.service.settings import Settings


def test_a_relative_home_is_resolved_once(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({"FAIRSHARE_HOME": "reg"})
    assert settings.home == tmp_path / "reg" and settings.home.is_absolute()
    assert settings.database_url == f"sqlite:///{tmp_path / 'reg' / 'fairshare.sqlite'}"
    assert settings.keys_dir == tmp_path / "reg" / "keys"


def test_status_shows_the_home_and_an_empty_folder_is_named(run_cli, tmp_path: Path) -> None:
    env = {"FAIRSHARE_HOME": "reg"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    missing = run_cli("status", env=env, cwd=elsewhere)
    assert missing.exit_code == 2, missing
    assert f"No fairshare database at {elsewhere / 'reg' / 'fairshare.sqlite'}" in missing.stderr
    assert "fairshare init" in missing.stderr and not (elsewhere / "reg").exists()  # nothing created
    french = run_cli("status", env={**env, "FAIRSHARE_LANG": "fr"}, cwd=elsewhere)
    assert french.exit_code == 2
    assert f"Aucune base de données fairshare à {elsewhere / 'reg' / 'fairshare.sqlite'}" \
        in french.stderr
    assert run_cli("init", env=env).exit_code == 0
    status = run_cli("status", "--format", "json", env=env)
    assert status.exit_code == 0, status
    assert json.loads(status.stdout)["home"] == str(tmp_path / "reg")
    table = run_cli("status", env=env)
    assert table.stdout.splitlines()[0] == f"FAIRSHARE_HOME: {tmp_path / 'reg'}"
