"""English and French messages: catalogues, and choosing the reader's language.

The language is ``?lang=fr|en`` when given (then remembered in the ``lang`` cookie), else the
cookie, else the browser's Accept-Language, else English. Catalogues are flat YAML files
(``templates/locale/en.yaml``, ``fr.yaml``) with ``{name}`` placeholders; a key missing in French
falls back to English (a test checks none is missing).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

LANGUAGES = ("en", "fr")
DEFAULT = "en"
COOKIE = "lang"
LOCALE_DIR = Path(__file__).resolve().parent / "templates" / "locale"


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """The messages of ``lang``."""
    import yaml

    data = yaml.safe_load((LOCALE_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


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


class Translator:
    """``t("key", name=value)`` in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT
        self.messages = catalogue(self.lang)
        self.fallback = catalogue(DEFAULT)

    def __call__(self, key: str, /, **values: object) -> str:
        text = self.messages.get(key) or self.fallback.get(key) or key
        return text.format(**values) if values else text

    def number(self, value: float | str | None, digits: int = 0) -> str:
        """A number in the reader's convention (French: thin space thousands, decimal comma);
        a suppressed small cell (``"<10"``) as it is."""
        if value is None:
            return "—"
        if isinstance(value, str):
            return value
        text = f"{value:,.{digits}f}"
        if self.lang == "fr":
            text = text.replace(",", "\u202f").replace(".", ",")
        return text

    def percent(self, value: float | None, digits: int = 0) -> str:
        """A ratio as a percentage."""
        if value is None:
            return "—"
        text = self.number(value * 100, digits)
        return f"{text}\u00a0%" if self.lang == "fr" else f"{text}%"

    def name(self, row: Mapping[str, object]) -> str:
        """A jurisdiction's name in the reader's language."""
        key = "name_fr" if self.lang == "fr" else "name"
        return str(row.get(key) or row.get("name") or row.get("code"))
