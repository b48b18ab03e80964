"""The docs run as written: every shell block marked ```sh docs-test in README.md and docs/*.md
is executed, the blocks of one file in order, in a fresh empty folder, with `fairshare` being
this checkout's CLI. A block that fails fails the test with its file, line and output.

The convention is documented in docs/contributing.md.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKER = "sh docs-test"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])


def marked_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, body) of each fenced block whose info string is exactly ``sh docs-test``.

    >>> marked_blocks("a\\n```sh docs-test\\necho hi\\n```\\n```sh\\nno\\n```\\n")
    [(2, 'echo hi\\n')]
    """
    return [(text[:m.start()].count("\n") + 1, m.group("body")) for m in FENCE.finditer(text)
            if m.group("info").strip() == MARKER]


def test_the_marker_finds_only_marked_blocks() -> None:
    import doctest

    assert doctest.run_docstring_examples(marked_blocks, {"marked_blocks": marked_blocks}) is None
    assert marked_blocks("```sh\nfairshare x\n```\n") == []
    assert [b for _, b in marked_blocks("```sh docs-test\nA\n```\ntext\n```sh docs-test\nB\n```\n")] \
        == ["A\n", "B\n"]


def _files_with_blocks() -> list[Path]:
    return [p for p in DOCS if marked_blocks(p.read_text(encoding="utf-8"))]


def test_some_docs_are_tested() -> None:
    names = {p.name for p in _files_with_blocks()}
    assert {"README.md", "api.md", "outcomes.md", "tutorial.md"} <= names, names


@pytest.mark.slow
@pytest.mark.parametrize("doc", _files_with_blocks(), ids=lambda p: p.name)
def test_marked_blocks_run_in_a_fresh_folder(doc: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "fairshare"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m fairshare "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRSHARE_")}
    env |= {"PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", "HOME": str(tmp_path),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]),
            "FAIRSHARE_USER": "docs-test", "COLUMNS": "120"}
    for line, body in marked_blocks(doc.read_text(encoding="utf-8")):
        script = "set -euo pipefail\n" + body
        proc = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True,
                              text=True, timeout=600, check=False)
        assert proc.returncode == 0, (
            f"{doc.relative_to(ROOT)}, block at line {line} exited {proc.returncode}:\n"
            f"{body}\n--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}")
