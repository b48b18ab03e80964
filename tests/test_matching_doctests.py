"""The examples in the matching modules' docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["problem", "policy", "solve", "scoring", "diagnose", "checks",
                                    "model", "solution"])
def test_docstring_examples(module: str) -> None:
    mod = importlib.import_module(f"fairshare.matching.{module}")
    result = doctest.testmod(mod)
    assert result.attempted > 0
    assert result.failed == 0
