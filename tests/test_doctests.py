"""Run the doctests of the small pure modules (examples in docstrings must stay true)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["fairshare.reference", "fairshare.keys", "fairshare.ledger", "fairshare.analysis",
           "fairshare.cli.render", "fairshare.apportion", "fairshare.service.disclosure",
           "fairshare.api.bodies", "fairshare.service.decisions", "fairshare.errors", "fairshare.i18n"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
