"""Shared test fixtures. Feature-specific fixtures live beside their tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


class CliResult:
    """Exit code and output of one `fairshare` invocation in a subprocess."""

    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.exit_code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def __repr__(self) -> str:
        return f"CliResult(exit={self.exit_code}, stdout={self.stdout[-500:]!r}, stderr={self.stderr[-500:]!r})"


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., CliResult]:
    """Run the real `fairshare` CLI (python -m fairshare) as a user would, in tmp_path."""

    def _run(*args: str, input: str | None = None, env: dict[str, str] | None = None,
             cwd: Path | None = None) -> CliResult:
        import os

        full_env = {**os.environ, **(env or {})}
        proc = subprocess.run([sys.executable, "-m", "fairshare", *args], input=input,
                              capture_output=True, text=True, cwd=cwd or tmp_path, env=full_env,
                              timeout=600, check=False)
        return CliResult(proc)

    return _run
