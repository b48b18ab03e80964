"""Languages: the one place that translates messages and formats numbers, dates and money.

Messages live in gettext catalogues, ``fairshare/locale/{en,fr}/LC_MESSAGES/fairshare.po``
(compiled to ``.mo`` by ``make messages``). A msgid is a stable key (``nav_overview``,
``error_family_already_in``); the English catalogue holds the English wording too, so changing a
sentence never changes a key. Placeholders are ``{name}`` (``str.format``), filled after lookup.

Numbers, percentages, dates and currency are formatted by Babel for the language's Canadian
locale (``en_CA``, ``fr_CA``): ``38,663`` and ``38 663`` (a no-break space), ``0.689`` and
``0,689``, ``12.3%`` and ``12,3 %``.

Every layer may import this module (it imports nothing of fairshare): service errors carry a
:class:`Message` (a msgid and its values) that each shell translates for its reader — the page's
language, the API's Accept-Language, the CLI's ``FAIRSHARE_LANG`` / ``LC_ALL`` / ``LANG``.

>>> number(38663, lang="fr"), number(38663, lang="en"), number(0.6894, 3, "fr")
('38\\xa0663', '38,663', '0,689')
>>> percent(0.123, 1, "fr"), percent(0.123, 1, "en")
('12,3\\xa0%', '12.3%')
>>> Translator("fr")("nav_overview"), Translator("en")("nav_overview")
("Vue d'ensemble", 'Overview')
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext as _gettext
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "fr")
DEFAULT = "en"
LOCALES = {"en": "en_CA", "fr": "fr_CA"}
DOMAIN = "fairshare"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
MISSING = "—"  # a number that is not there (no data)


def N_(msgid: str) -> str:  # noqa: N802 — the gettext convention for "extract, do not translate"
    """Mark ``msgid`` for extraction where the text is looked up later (a table of keys)."""
    return msgid


def normalise(lang: str | None) -> str:
    """One of :data:`LANGUAGES` for a tag such as ``fr``, ``fr-CA``, ``fr_CA.UTF-8`` (else English).

    >>> normalise("fr_CA.UTF-8"), normalise("en-GB"), normalise("de"), normalise(None)
    ('fr', 'en', 'en', 'en')
    """
    primary = (lang or "").strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    return primary if primary in LANGUAGES else DEFAULT


def from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The CLI's language: ``FAIRSHARE_LANG``, else ``LC_ALL``, else ``LANG``, else English.

    >>> from_environment({"LANG": "fr_CA.UTF-8"}), from_environment({"FAIRSHARE_LANG": "en",
    ...     "LANG": "fr_CA.UTF-8"}), from_environment({})
    ('fr', 'en', 'en')
    """
    env = os.environ if environ is None else environ
    for name in ("FAIRSHARE_LANG", "LC_ALL", "LANG"):
        value = env.get(name)
        if value and value not in ("C", "POSIX", "C.UTF-8"):
            return normalise(value)
    return DEFAULT


@functools.cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (``.mo``; a missing one reads the ``.po``)."""
    lang = normalise(lang)
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    mo = folder / f"{DOMAIN}.mo"
    if mo.exists():
        with mo.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    return _PoTranslations(catalogue(lang))  # a checkout where `make messages` has not run


class _PoTranslations(_gettext.NullTranslations):
    def __init__(self, messages: Mapping[str, str]) -> None:
        super().__init__()
        self.messages = dict(messages)

    def gettext(self, message: str) -> str:
        return self.messages.get(message) or message


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Every msgid of ``lang``'s ``.po`` file with its (non-empty) text."""
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / normalise(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        cat = read_po(handle)
    return {str(m.id): str(m.string) for m in cat if m.id and m.string and not m.fuzzy}


def gettext(msgid: str, lang: str, /, **values: object) -> str:
    """The text of ``msgid`` in ``lang`` with ``values`` filled in (English, then the msgid itself,
    when the language has none)."""
    text = translations(lang).gettext(msgid)
    if text == msgid and normalise(lang) != DEFAULT:
        text = translations(DEFAULT).gettext(msgid)
    if not values:
        return text
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):  # a broken translation must not hide the message
        return translations(DEFAULT).gettext(msgid).format(**values)


@dataclass(frozen=True, eq=False)
class Message:
    """A message to translate later, for its reader: a msgid and the values of its placeholders.

    Values that are themselves messages are translated in the same language.

    >>> m = Message("data_missing_field", {"where": Message("file_at_row", {"path": "f.csv",
    ...     "row": 2}), "field": "code"})
    >>> m.render("fr")
    'f.csv, ligne 2 : le champ « code » manque.'

    """

    msgid: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def render(self, lang: str = DEFAULT) -> str:
        """The message in ``lang``."""
        filled = {k: (v.render(lang) if isinstance(v, Message | Localised | Num | Pct) else v)
                  for k, v in self.values.items()}
        return gettext(self.msgid, lang, **filled)

    def _identity(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        return self.msgid, tuple(sorted((k, repr(v)) for k, v in self.values.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __str__(self) -> str:
        return self.render(DEFAULT)


@dataclass(frozen=True)
class Localised:
    """A text that data give in each language (a source's own note): ``fr`` falls back to ``en``."""

    en: str
    fr: str = ""

    def render(self, lang: str = DEFAULT) -> str:
        """The text in ``lang``."""
        return (self.fr or self.en) if normalise(lang) == "fr" else self.en

    def __str__(self) -> str:
        return self.en


@dataclass(frozen=True)
class Num:
    """A number in a message, written with the reader's separators when it is rendered.

    >>> m = msg("file_too_large", where="b.csv", size=Num(209715201), limit=Num(209715200))
    >>> m.render("en")
    'b.csv: 209,715,201 bytes is over the 209,715,200-byte limit; split the batch.'
    >>> Num(1234.5, 1).render("fr")
    '1\\xa0234,5'
    """

    value: float | int
    digits: int = 0

    def render(self, lang: str = DEFAULT) -> str:
        """The number in ``lang``."""
        return number(self.value, self.digits, lang)

    def __str__(self) -> str:
        return self.render(DEFAULT)


@dataclass(frozen=True)
class Pct:
    """A ratio in a message, written as a percentage in the reader's locale when it is rendered.

    >>> Pct(0.0123, 2).render("en"), Pct(0.0123, 2).render("fr")
    ('1.23%', '1,23\\xa0%')
    """

    value: float
    digits: int = 0

    def render(self, lang: str = DEFAULT) -> str:
        """The percentage in ``lang``."""
        return percent(self.value, self.digits, lang)

    def __str__(self) -> str:
        return self.render(DEFAULT)


Text = str | Message | Localised


def to_json(text: Text) -> Any:
    """``text`` as JSON, for a record that is shown later in its reader's language: a message
    keeps its msgid and values (numbers and percentages tagged), a plain string stays as it is.

    >>> m = msg("file_at_row", path="f.csv", row=Num(1234))
    >>> to_json(m)
    {'msgid': 'file_at_row', 'values': {'path': 'f.csv', 'row': {'num': 1234, 'digits': 0}}}
    >>> from_json(to_json(m)).render("fr"), from_json("as stored")
    ('f.csv, ligne 1\\xa0234', 'as stored')
    """
    return text if isinstance(text, str) else _value_json(text)


def _value_json(value: Any) -> Any:
    if isinstance(value, Message):
        return {"msgid": value.msgid, "values": {k: _value_json(v) for k, v in value.values.items()}}
    if isinstance(value, Num):
        return {"num": value.value, "digits": value.digits}
    if isinstance(value, Pct):
        return {"pct": value.value, "digits": value.digits}
    if isinstance(value, Localised):
        return {"en": value.en, "fr": value.fr}
    return value


def from_json(doc: Any) -> Text:
    """The text :func:`to_json` wrote (a string, such as a note stored before messages were, is
    shown as it is)."""
    value = _value_of(doc)
    return value if isinstance(value, Message | Localised) else str(value)


def _value_of(doc: Any) -> Any:
    if not isinstance(doc, dict):
        return doc
    if "msgid" in doc:
        return Message(str(doc["msgid"]), {k: _value_of(v)
                                           for k, v in dict(doc.get("values") or {}).items()})
    if "num" in doc:
        return Num(doc["num"], int(doc.get("digits", 0)))
    if "pct" in doc:
        return Pct(float(doc["pct"]), int(doc.get("digits", 0)))
    if "en" in doc:
        return Localised(str(doc["en"]), str(doc.get("fr", "")))
    return doc


def msg(msgid: str, /, **values: Any) -> Message:
    """A :class:`Message` (the form errors raise: ``InputError(msg("error_x", name=n))``)."""
    return Message(msgid, values)


SEMICOLONS = N_("list_semicolon")  # "{first}; {rest}": items of a sentence's list
PLUSES = N_("list_plus")  # "{first} + {rest}": the terms of a sum


def joined(separator: str, items: Iterable[Text | Num | Pct]) -> Text | Num | Pct:
    """``items`` (texts or numbers, translated later) joined by ``separator``, a msgid such as
    :data:`SEMICOLONS` whose placeholders are ``{first}`` and ``{rest}`` ("" when there is none).

    >>> joined(SEMICOLONS, ["a", Num(1234)]).render("fr"), joined(PLUSES, [Num(0.5, 1)]).render("fr")
    ('a ; 1\\xa0234', '0,5')
    """
    parts = list(items)
    if not parts:
        return ""
    out: Text | Num | Pct = parts[-1]
    for part in reversed(parts[:-1]):
        out = Message(separator, {"first": part, "rest": out})
    return out


def render(text: Text, lang: str) -> str:
    """``text`` in ``lang`` (a plain string is already final)."""
    return text if isinstance(text, str) else text.render(lang)


def _pattern(kind: str, lang: str, digits: int) -> Any:
    from babel.core import Locale
    from babel.numbers import parse_pattern

    locale = Locale.parse(LOCALES[normalise(lang)])
    formats = locale.percent_formats if kind == "percent" else locale.decimal_formats
    pattern = parse_pattern(formats[None].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern, locale


@functools.cache
def _cached_pattern(kind: str, lang: str, digits: int) -> Any:
    return _pattern(kind, lang, digits)


def number(value: float | int | Decimal | None, digits: int = 0, lang: str = DEFAULT) -> str:
    """``value`` with ``digits`` decimals and the locale's separators (``—`` for None and NaN:
    no number, e.g. the objective of an infeasible batch).

    >>> number(12345.678, 2, "fr"), number(12345.678, 2, "en"), number(None)
    ('12\\xa0345,68', '12,345.68', '—')
    >>> number(float("nan"), 3, "fr"), percent(float("nan"))
    ('—', '—')
    >>> number(-1800, 0, "en")
    '-1,800'
    """
    if _absent(value):
        return MISSING
    return _number(value, digits, lang)


def _absent(value: object) -> bool:
    """No number to show: None or NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


@functools.lru_cache(maxsize=65536, typed=True)  # explanations write the same few numbers 100,000s of times
def _number(value: float | int | Decimal, digits: int, lang: str) -> str:
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    plain = _plain_decimal(lang, digits)
    if plain is None or not exact.is_finite():
        return babel_number(exact, digits, lang)
    group, point, quantum = plain
    whole, _, frac = f"{abs(exact).normalize().quantize(quantum):f}".partition(".")
    return (("-" if exact.is_signed() else "") + f"{int(whole):,}".replace(",", group)
            + (point + frac if digits else ""))


def babel_number(value: Decimal, digits: int, lang: str) -> str:
    """``value`` formatted by Babel's general number pattern machinery: what :func:`number`
    gives (its own path, for plain decimal patterns, is Babel's steps for them; 20,000
    explanations format 130,000 distinct numbers)."""
    pattern, locale = _cached_pattern("decimal", lang, digits)
    return str(pattern.apply(value, locale))


@functools.cache
def _plain_decimal(lang: str, digits: int) -> tuple[str, str, Decimal] | None:
    """The group and decimal symbols and the rounding quantum of ``lang``'s decimal pattern
    when it is the plain one (groups of 3, at least one integer digit, a ``-`` prefix for
    negative numbers, nothing else), else None (Babel formats)."""
    from babel.numbers import get_decimal_quantum, get_decimal_symbol, get_group_symbol

    pattern, locale = _cached_pattern("decimal", lang, digits)
    if (pattern.grouping != (3, 3) or pattern.int_prec[0] != 1 or pattern.scale
            or pattern.exp_prec or "@" in pattern.pattern or pattern.prefix != ("", "-")
            or pattern.suffix != ("", "") or pattern.frac_prec != (digits, digits)):
        return None
    return get_group_symbol(locale), get_decimal_symbol(locale), get_decimal_quantum(digits)


def percent(value: float | None, digits: int = 0, lang: str = DEFAULT) -> str:
    """A ratio as a percentage (``0.123`` is ``12.3%``, ``12,3 %``)."""
    if _absent(value):
        return MISSING
    pattern, locale = _cached_pattern("percent", lang, digits)
    return str(pattern.apply(Decimal(str(value)), locale))


def currency(value: float | None, code: str = "CAD", lang: str = DEFAULT) -> str:
    """An amount of money (``$1,234.50``, ``1 234,50 $``).

    >>> currency(1234.5, lang="en"), currency(1234.5, lang="fr")
    ('$1,234.50', '1\\xa0234,50\\xa0$')
    """
    if value is None or _absent(value):
        return MISSING
    from babel.numbers import format_currency

    return str(format_currency(value, code, locale=LOCALES[normalise(lang)]))


def date(value: dt.date | str | None, lang: str = DEFAULT, form: str = "medium") -> str:
    """A date in the locale (``Jan 5, 2025``, ``5 janv. 2025``); ISO text is parsed first.

    >>> date("2025-01-05", "fr"), date("2025-01-05", "en")
    ('5 janv. 2025', 'Jan 5, 2025')
    """
    if value is None or value == "":
        return MISSING
    from babel.dates import format_date

    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return str(format_date(value, format=form, locale=LOCALES[normalise(lang)]))


def moment(value: dt.datetime | str | None, lang: str = DEFAULT) -> str:
    """A point in time in the locale, in UTC (``Dec 3, 2026, 3:21:44 PM UTC``,
    ``3 déc. 2026, 15 h 21 min 44 s UTC``); ISO text is parsed first.

    >>> moment("2026-12-03T15:21:44.136745+00:00", "en")
    'Dec 3, 2026, 3:21:44\u202fp.m. UTC'
    """
    if value is None or value == "":
        return MISSING
    from babel.dates import format_datetime

    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    text = format_datetime(value, format="medium", tzinfo=dt.UTC, locale=LOCALES[normalise(lang)])
    return f"{text} UTC"


def decimal_separator(lang: str) -> str:
    """The locale's decimal mark (``.`` or ``,``)."""
    from babel.numbers import get_decimal_symbol

    return str(get_decimal_symbol(LOCALES[normalise(lang)]))


class Translator:
    """Messages and numbers in one language: ``t("key", name=value)``, ``t.number(x, 2)``."""

    def __init__(self, lang: str) -> None:
        self.lang = normalise(lang)

    def __call__(self, msgid: Text, /, **values: object) -> str:
        if not isinstance(msgid, str):  # a Message or a Localised text
            return msgid.render(self.lang)
        return gettext(msgid, self.lang, **values)

    def number(self, value: float | str | None, digits: int = 0) -> str:
        """A number in the reader's locale; a suppressed small cell (``"<10"``) as it is."""
        if isinstance(value, str):
            return value
        return number(value, digits, self.lang)

    def percent(self, value: float | None, digits: int = 0) -> str:
        """A ratio as a percentage in the reader's locale."""
        return percent(value, digits, self.lang)

    def currency(self, value: float | None, code: str = "CAD") -> str:
        """An amount of money in the reader's locale."""
        return currency(value, code, self.lang)

    def date(self, value: dt.date | str | None) -> str:
        """A date in the reader's locale."""
        return date(value, self.lang)

    def moment(self, value: dt.datetime | str | None) -> str:
        """A point in time in the reader's locale (UTC)."""
        return moment(value, self.lang)

    def label(self, prefix: str, value: object) -> str:
        """The catalogue's name of a code (``t.label("policy_", "balanced")``), else the code."""
        msgid = f"{prefix}{value}"
        text = gettext(msgid, self.lang)
        return str(value) if text == msgid else text

    def name(self, row: Mapping[str, object]) -> str:
        """A jurisdiction's name in the reader's language."""
        key = "name_fr" if self.lang == "fr" else "name"
        return str(row.get(key) or row.get("name") or row.get("code"))
