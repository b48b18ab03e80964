"""Supply chain: bandit is clean, `make audit` never claims what it could not check, the SBOM."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: `pip install -e '.[dev]'` installs it")
    return path


def test_bandit_finds_nothing_in_src():
    done = subprocess.run([_tool("bandit"), "-q", "-r", "src", "-c", "pyproject.toml",
                           "-f", "json"], cwd=ROOT, capture_output=True, text=True, check=False)
    report = json.loads(done.stdout)
    assert [(r["filename"], r["line_number"], r["test_id"]) for r in report["results"]] == []
    assert done.returncode == 0


def test_audit_never_says_clean_when_it_checked_nothing(tmp_path):
    """requests 2.19.0 has a published vulnerability (CVE-2018-18074): either the database is
    reached and it is reported, or the wrapper says plainly that nothing could be checked."""
    req = tmp_path / "requirements.txt"
    req.write_text("requests==2.19.0\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "audit.py"), "-r", str(req),
                           "--no-deps", "--disable-pip"],
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert "No known vulnerabilities" not in done.stdout
    assert done.returncode in (1, 3), done.stdout + done.stderr
    if done.returncode == 3:
        assert "NOT AUDITED: 1 of 1 dependencies" in done.stdout
        assert "requests" in done.stdout
    else:
        assert "VULNERABLE requests 2.19.0" in done.stdout


def _verdict():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from audit import verdict
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    return verdict


def test_audit_verdicts_for_each_outcome():
    verdict = _verdict()
    clean = {"dependencies": [{"name": "a", "version": "1", "vulns": []}]}
    assert verdict(clean)[0] == 0
    found = {"dependencies": [{"name": "a", "version": "1", "vulns": [
        {"id": "PYSEC-1", "fix_versions": ["2"]}]}, {"name": "b", "skip_reason": "offline"}]}
    code, lines = verdict(found)
    assert code == 1 and lines[0] == "VULNERABLE a 1: PYSEC-1 (fixed in 2)"
    assert any(line.startswith("NOT AUDITED: 1 of 2") for line in lines)
    skipped = {"dependencies": [{"name": "a", "version": "1", "vulns": []},
                                {"name": "b", "skip_reason": "offline"}]}
    assert verdict(skipped)[0] == 3


def test_sbom_is_cyclonedx_of_the_environment(tmp_path):
    out = tmp_path / "sbom.json"
    subprocess.run([_tool("cyclonedx-py"), "environment", "--of", "JSON", "-o", str(out),
                    sys.executable], cwd=ROOT, capture_output=True, text=True, check=True,
                   timeout=300)
    sbom = json.loads(out.read_text(encoding="utf-8"))
    assert sbom["bomFormat"] == "CycloneDX"
    names = {c["name"].lower() for c in sbom["components"]}
    assert {"sqlalchemy", "fastapi", "alembic"} <= names
