"""Merge flat YAML catalogues (``key: text``, the dashboard's former format) into the gettext
catalogues, then compile them.

Usage (from the repository root)::

    python scripts/yaml_to_po.py path/to/en.yaml path/to/fr.yaml [--overwrite]

Each YAML file's name gives its language: ``en.yaml``, ``fr.yaml``, or a name ending in it
(``my-branch-fr.yaml``); any other name is refused. A key the ``.po`` file lacks
is added with the YAML text; a key it has keeps its text unless ``--overwrite`` is given. Keys are
msgids: templates and pages keep calling ``t("key")``. Run ``make messages`` afterwards so that
extraction confirms every key is used (``tests/test_i18n.py`` checks it too).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # this checkout's package, whatever the venv holds

from fairshare.i18n import DOMAIN, LANGUAGES, LOCALE_DIR  # noqa: E402


def po_path(lang: str) -> Path:
    """The ``.po`` file of ``lang``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(lang: str) -> Catalog:
    """``lang``'s catalogue (an empty one when the file does not exist yet)."""
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain=DOMAIN, project="fairshare", version="0.1.0",
                       copyright_holder="the fairshare contributors", fuzzy=False,
                       language_team=f"fairshare {lang}", last_translator="fairshare")
    with path.open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def save(catalog: Catalog, lang: str) -> None:
    """Write ``.po`` and compile ``.mo`` beside it."""
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, omit_header=False)
    with path.with_suffix(".mo").open("wb") as handle:
        write_mo(handle, catalog)


def language_of(yaml_file: Path) -> str:
    """The language a YAML catalogue's name gives (``fr.yaml``, ``my-branch-fr.yaml``)."""
    lang = yaml_file.stem.rsplit("-", 1)[-1]
    if lang not in LANGUAGES:
        raise SystemExit(f"{yaml_file}: the name must end in one of "
                         f"{', '.join(code + '.yaml' for code in LANGUAGES)}, which gives "
                         "its language; nothing was merged")
    return lang


def merge(yaml_file: Path, *, overwrite: bool) -> tuple[str, int]:
    """Merge one YAML catalogue; returns its language and the number of messages added/changed."""
    lang = language_of(yaml_file)
    data = yaml.safe_load(yaml_file.read_text(encoding="utf-8")) or {}
    catalog = load(lang)
    changed = 0
    for key, text in data.items():
        key, text = str(key), str(text)
        found = catalog.get(key)
        if found is None or not found.string or (overwrite and found.string != text):
            flags = ("python-brace-format",) if "{" in text else ()
            if found is None:
                catalog.add(key, text, flags=flags)
            else:  # Catalog.add would keep the existing text
                found.string = text
                found.flags.update(flags)
            changed += 1
    save(catalog, lang)
    return lang, changed


def main(argv: list[str] | None = None) -> int:
    """Merge every YAML file named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--overwrite", action="store_true", help="YAML text replaces .po text")
    args = parser.parse_args(argv)
    for f in args.files:  # every name checked before anything is written
        language_of(f)
    for f in args.files:
        lang, changed = merge(f, overwrite=args.overwrite)
        print(f"{f}: {changed} message(s) added or changed in {po_path(lang).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
