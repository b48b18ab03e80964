"""Collect the analyst-readable YAML rule cases in tests/rules/keys/ and check each one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from fairshare.analysis import shares_frame

RULES = Path(__file__).parent / "rules" / "keys"


def _cases() -> list[Any]:
    cases = []
    for path in sorted(RULES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append(pytest.param(case, id=case["name"]))
    return cases


@pytest.mark.parametrize("case", _cases())
def test_rule(case: dict[str, Any]) -> None:
    df = shares_frame(case["key"], data=case.get("data"))
    shares = dict(zip(df["code"], df["share"], strict=True))
    for code, expected in case["expected"].items():
        assert shares[code] == pytest.approx(expected, abs=case["tolerance"]), case["name"]
