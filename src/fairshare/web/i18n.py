"""The dashboard's side of languages: choosing the reader's language (the rest is
:mod:`fairshare.i18n`, which every layer shares).

The language is ``?lang=fr|en`` when given (then remembered in the ``lang`` cookie), else the
cookie, else the browser's Accept-Language, else English. Messages come from the gettext
catalogues in ``fairshare/locale``; numbers are formatted by Babel for ``en_CA`` / ``fr_CA``.
"""

from __future__ import annotations

from fairshare.i18n import DEFAULT, LANGUAGES, LOCALE_DIR, Translator, catalogue

__all__ = ["COOKIE", "DEFAULT", "LANGUAGES", "LOCALE_DIR", "Translator", "catalogue", "choose",
           "from_accept_language"]

COOKIE = "lang"


def from_accept_language(header: str | None) -> str | None:
    """The best of our languages for an Accept-Language header, or None.

    >>> from_accept_language("de-CH, fr-CA;q=0.8, en;q=0.5")
    'fr'
    >>> from_accept_language("de") is None
    True
    """
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > 0:
            ranked.append((-q, i, primary))
    return sorted(ranked)[0][2] if ranked else None


def choose(query: str | None, cookie: str | None, accept: str | None) -> str:
    """The language: query parameter, then cookie, then Accept-Language, then English."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return str(candidate)
    return from_accept_language(accept) or DEFAULT
