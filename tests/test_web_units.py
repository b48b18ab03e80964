"""Small pure parts of the dashboard: language choice, numbers, colours, the map, doctests."""

from __future__ import annotations

import doctest
import importlib

import pytest

from fairshare.reference import load_federation
from fairshare.web import i18n, svg


@pytest.mark.parametrize("name", ["fairshare.web.i18n", "fairshare.web.svg",
                                  "fairshare.web.pages", "fairshare.service.access"])
def test_doctests(name: str) -> None:
    assert doctest.testmod(importlib.import_module(name)).failed == 0


@pytest.mark.parametrize(("query", "cookie", "accept", "expected"), [
    ("fr", "en", "en", "fr"), (None, "fr", "en", "fr"), (None, None, "fr-CA,en;q=0.5", "fr"),
    (None, None, "de,en;q=0.3,fr;q=0.2", "en"), (None, None, "fr;q=0, en;q=0.1", "en"),
    ("xx", "yy", "zz", "en"), (None, None, "fr;q=abc", "en"), (None, None, None, "en")])
def test_language_choice(query: str | None, cookie: str | None, accept: str | None,
                         expected: str) -> None:
    assert i18n.choose(query, cookie, accept) == expected


def test_numbers_follow_the_language() -> None:
    en, fr = i18n.Translator("en"), i18n.Translator("fr")
    assert en.number(12345.678, 1) == "12,345.7" and fr.number(12345.678, 1) == "12\u00a0345,7"  # Babel fr_CA
    assert en.percent(0.2193, 1) == "21.9%" and fr.percent(0.2193, 1) == "21,9\u00a0%"
    assert en.number(None) == "—"
    assert fr("signed_in_as", user="a", role="b") == "Connecté en tant que a, b"
    assert en("no-such-message") == "no-such-message"


def test_map_has_every_jurisdiction_coloured_by_fulfilment() -> None:
    fed = load_federation()
    codes = {j.code for j in fed.jurisdictions}
    values = dict.fromkeys(codes, 1.0) | {"QC": 1.6, "NU": None}
    out = svg.choropleth(fed, values, {"QC": "1,60"}, {"QC": "Accomplissement 1,60"}, title="t",
                         lang="fr")
    assert out.count('class="region"') == len(codes) == 13
    assert 'data-code="CA-QC" data-jurisdiction="QC" class="region"' in out
    assert svg.fulfilment_colour(1.6) in out and svg.NO_DATA in out
    assert "<title>Québec: Accomplissement 1,60</title>" in out  # French names in French
    assert ">1,60</text>" in out  # the value is printed on the map
    assert "<script" not in out and "style=" not in out


def test_colour_classes_are_ordered_and_complete() -> None:
    classes = svg.legend_classes()
    assert len(classes) == 7 and classes[3][0] == svg.MIDDLE
    assert [svg.fulfilment_colour(v) for v in (0.1, 0.3, 0.7, 1.0, 1.5, 3, 9)] == \
        [c for c, _ in classes]
