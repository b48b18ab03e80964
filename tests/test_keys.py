"""Distribution keys: presets are complete, shares sum to 1, bad key files are clear errors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from fairshare.errors import KeyDefinitionError
from fairshare.keys import evaluate_key, list_keys, load_key, parse_date
from fairshare.reference import load_federation


def _fed_for(federation: str) -> str | None:
    return federation if federation in ("canada", "germany") else None


def test_every_preset_has_label_reference_and_sums_to_one() -> None:
    offenders = []
    for key in list_keys():
        if key.label_fr == key.label or key.description_fr == key.description:
            offenders.append(f"{key.id}: no French label or description (label_fr, description_fr)")
        if not key.label or not key.references or not all(r.url.startswith("https://") for r in key.references):
            offenders.append(f"{key.id}: label or https reference missing")
        result = evaluate_key(key, load_federation(_fed_for(key.federation)))
        if abs(math.fsum(result.shares.values()) - 1) > 1e-12:
            offenders.append(f"{key.id}: shares sum to {math.fsum(result.shares.values())}")
        if any(v < 0 for v in result.shares.values()):
            offenders.append(f"{key.id}: negative share")
    assert offenders == []
    ids = {k.id for k in list_keys()}
    assert {"canada-population", "eu-2024-reference", "de-koenigstein-2020", "eu-2015-relocation"} <= ids


def test_eu_2015_key_caps_and_neutral_components_are_reported() -> None:
    result = evaluate_key(load_key("eu-2015-relocation"), load_federation())
    assert any("YT, NT, NU" in str(n) for n in result.notes)
    base = {c: 0.5 * result.components[0].shares[c] + 0.5 * result.components[1].shares[c]
            for c in result.shares}
    for comp in result.components[2:]:
        for code, share in comp.shares.items():
            assert base[code] * 0.7 - 1e-12 <= share <= base[code] * 1.3 + 1e-12


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "key.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """id: test-key
label: Test
references: [{title: T, url: "https://example.org"}]
versions:
  - effective: "2024-01-01"
    components:
      - {indicator: population, weight: 0.5}
      - {indicator: gdp, weight: 0.5}
"""


def test_custom_key_file_evaluates(tmp_path: Path) -> None:
    key = load_key(str(_write(tmp_path, GOOD)))
    assert key.id == "test-key"
    shares = evaluate_key(key, load_federation()).shares
    assert abs(sum(shares.values()) - 1) < 1e-12


@pytest.mark.parametrize(("text", "message"), [
    (GOOD.replace("weight: 0.5}\n      - {indicator: gdp, weight: 0.5", "weight: 0.5}\n      - {indicator: gdp, weight: 0.4"),
     "sum to 0.9"),
    ("id: x\nlabel: a: b\n", "line 2, column 9: malformed YAML"),
    ("", "empty"),
    (GOOD.replace("references: [{title: T, url: \"https://example.org\"}]", "references: []"), "reference"),
    (GOOD.replace("gdp, weight", "gdp, transform: cube, weight"), "transform 'cube'"),
    (GOOD.replace("effective: \"2024-01-01\"", "effective: someday"), "not a date"),
])
def test_bad_key_files_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(KeyDefinitionError, match=message):
        load_key(str(_write(tmp_path, text)))


def test_missing_indicator_names_the_jurisdictions(tmp_path: Path) -> None:
    text = GOOD.replace("indicator: gdp", "indicator: unemployment")
    key = load_key(str(_write(tmp_path, text)))
    with pytest.raises(KeyDefinitionError, match="unemployment.*YT, NT, NU"):
        evaluate_key(key, load_federation())


def test_unknown_key_and_wrong_encoding(tmp_path: Path) -> None:
    with pytest.raises(KeyDefinitionError, match="Unknown key 'nope'"):
        load_key("nope")
    path = tmp_path / "latin.yaml"
    path.write_bytes(GOOD.replace("Test", "Québec").encode("latin-1"))
    with pytest.raises(KeyDefinitionError, match="not valid UTF-8"):
        load_key(str(path))


def test_versions_are_chosen_by_date(tmp_path: Path) -> None:
    text = GOOD + """  - effective: "2025-01-01"
    components:
      - {indicator: population, weight: 1.0}
"""
    key = load_key(str(_write(tmp_path, text)))
    assert key.version_on(parse_date("2024-06-01")).effective.year == 2024
    assert key.version_on(parse_date("2025-06-01")).effective.year == 2025
    with pytest.raises(KeyDefinitionError, match="no version in effect"):
        key.version_on(parse_date("2020"))
