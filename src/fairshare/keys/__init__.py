"""Distribution keys: policy as data.

A key is a YAML file (label, description, references, dated versions, weighted components) that
turns a federation's indicators into shares summing to 1. Presets ship in this folder, one file
per key in a tree that mirrors the concept (``eu/2024-reference.yaml``); users pass their own
file path wherever a key id is accepted. Format and formulas: docs/keys.md.

>>> from fairshare.reference import load_federation
>>> result = evaluate_key(load_key("canada-population"), load_federation())
>>> round(result.shares["QC"], 4), round(sum(result.shares.values()), 12)
(0.2193, 1.0)
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from fairshare.errors import KeyDefinitionError
from fairshare.i18n import msg
from fairshare.keys.evaluate import KeyResult, evaluate_key
from fairshare.keys.model import Component, KeyDefinition, KeyVersion, Reference, parse_key

__all__ = ["Component", "KeyDefinition", "KeyResult", "KeyVersion", "Reference", "evaluate_key",
           "list_keys", "load_key", "preset_paths"]

PRESET_DIR = Path(__file__).resolve().parent


def preset_paths() -> list[Path]:
    """Every preset key file shipped with fairshare, sorted by path."""
    return sorted(PRESET_DIR.rglob("*.yaml"))


@functools.lru_cache(maxsize=1)
def _presets() -> dict[str, KeyDefinition]:
    keys: dict[str, KeyDefinition] = {}
    for path in preset_paths():
        key = parse_key(path)
        if key.id in keys:
            raise KeyDefinitionError(msg("key_id_twice", where=str(path), key=key.id,
                                         other=str(keys[key.id].path)))
        keys[key.id] = key
    return keys


def list_keys() -> list[KeyDefinition]:
    """The preset keys, sorted by id."""
    return [k for _, k in sorted(_presets().items())]


def load_key(key: str | Path) -> KeyDefinition:
    """A preset by id (``canada-population``) or a key file by path (``my-key.yaml``)."""
    text = str(key)
    presets = _presets()
    if text in presets:
        return presets[text]
    path = Path(text).expanduser()
    if text.endswith((".yaml", ".yml")) or path.is_file():
        if not path.is_file():
            raise KeyDefinitionError(msg("key_file_not_found", path=text))
        return parse_key(path)
    raise KeyDefinitionError(msg("key_unknown", key=text, presets=", ".join(sorted(presets))))


def parse_date(text: str | None) -> dt.date | None:
    """Parse an ISO date (or a year, meaning 1 January) given on the command line."""
    if text is None:
        return None
    try:
        if len(text) == 4 and text.isdigit():
            return dt.date(int(text), 1, 1)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise KeyDefinitionError(msg("key_not_date", raw=text)) from None
