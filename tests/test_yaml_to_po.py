"""scripts/yaml_to_po.py: a YAML catalogue's name gives its language; a name that gives none is
refused before anything is written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "yaml_to_po.py"
PO = ROOT / "src" / "fairshare" / "locale" / "fr" / "LC_MESSAGES" / "fairshare.po"


def _run(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, files)], capture_output=True,
                          text=True, check=False, cwd=ROOT)


def test_a_name_without_a_language_is_refused_and_nothing_is_written(tmp_path):
    good = tmp_path / "branch-fr.yaml"
    good.write_text("zz_never_a_key: Jamais\n", encoding="utf-8")
    bad = tmp_path / "branch-de.yaml"
    bad.write_text("zz_never_a_key: Nie\n", encoding="utf-8")
    before = PO.read_bytes()
    done = _run(good, bad)
    assert done.returncode != 0
    assert "branch-de.yaml: the name must end in one of en.yaml, fr.yaml" in done.stderr
    assert "nothing was merged" in done.stderr
    assert PO.read_bytes() == before
    assert not (ROOT / "src" / "fairshare" / "locale" / "branch-de").exists()


def test_the_language_is_the_names_last_part():
    import importlib.util

    spec = importlib.util.spec_from_file_location("yaml_to_po", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.language_of(Path("fr.yaml")) == "fr"
    assert module.language_of(Path("/x/i14-msg-a-en.yaml")) == "en"
