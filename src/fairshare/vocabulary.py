"""The one vocabulary of claimant attributes, read from ``data/vocabulary.yaml``.

Education levels, CEFR language levels, occupation groups, work experience and birth year
bounds are defined once, as data; the import schema, the synthetic generators, the default
scorer and the outcome model's features all read them from here.

>>> v = load_vocabulary()
>>> v.education
('none', 'primary', 'secondary', 'post-secondary', 'tertiary')
>>> v.language_level("fluent"), v.model_level("B2"), v.model_level(None)
('C1', 2, 0)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from fairshare.errors import InputError, Text
from fairshare.i18n import msg

WHERE = "fairshare/data/vocabulary.yaml"


@dataclass(frozen=True)
class Vocabulary:
    """Allowed values of every claimant attribute (ids in their documented order)."""

    education: tuple[str, ...]
    language_levels: tuple[str, ...]
    level_aliases: dict[str, str]
    model_levels: dict[str, int]
    occupation_groups: tuple[str, ...]
    work_experience: tuple[float, float]
    birth_year_min: int
    labels: dict[str, dict[str, str]]

    def language_level(self, text: str) -> str | None:
        """The CEFR id of a level as written (case-insensitive; aliases mapped), else None."""
        value = text.strip()
        for level in self.language_levels:
            if value.lower() == level.lower():
                return level
        return self.level_aliases.get(value.lower())

    def model_level(self, level: str | None) -> int:
        """The outcome model's 0-3 level of a CEFR level (0 when the language is not spoken)."""
        if level is None:
            return 0
        known = self.language_level(level)
        return self.model_levels[known] if known else 0

    def accepted_levels(self) -> tuple[str, ...]:
        """Every level text the import accepts: the CEFR ids, then the aliases."""
        return self.language_levels + tuple(self.level_aliases)


def _ids(raw: dict[str, Any], name: str) -> tuple[str, ...]:
    items = raw.get(name)
    if not isinstance(items, list) or not items:
        raise InputError(msg("vocab_not_list", where=WHERE, name=name, form="{id, label}"))
    ids = tuple(str(item["id"]) for item in items)
    if len(set(ids)) != len(ids):
        raise InputError(msg("vocab_id_twice", where=WHERE, name=name))
    return ids


@functools.cache
def load_vocabulary() -> Vocabulary:
    """Parse and check the shipped vocabulary (cached: it is package data)."""
    try:
        raw = yaml.safe_load(resources.files("fairshare").joinpath(
            "data", "vocabulary.yaml").read_text(encoding="utf-8"))
        levels = _ids(raw, "language_levels")
        model_levels = {str(i["id"]): int(i["model_level"]) for i in raw["language_levels"]}
        aliases = {str(k).lower(): str(v) for k, v in
                   (raw.get("language_level_aliases") or {}).items()}
        work = raw["work_experience_years"]
        labels = {name: {str(i["id"]): str(i.get("label", "")) for i in raw[name]}
                  for name in ("education", "language_levels", "occupation_groups")}
        vocabulary = Vocabulary(
            education=_ids(raw, "education"), language_levels=levels, level_aliases=aliases,
            model_levels=model_levels, occupation_groups=_ids(raw, "occupation_groups"),
            work_experience=(float(work["min"]), float(work["max"])),
            birth_year_min=int(raw["birth_year"]["min"]), labels=labels)
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise InputError(msg("vocab_malformed", where=WHERE,
                                problem=f"{type(exc).__name__}: {exc}")) from exc
    bad = sorted(v for v in aliases.values() if v not in levels)
    if bad or any(not 0 <= n <= 3 for n in model_levels.values()):
        raise InputError(msg("vocab_bad_levels", where=WHERE,
                                check=", ".join(bad) or "model_level"))
    return vocabulary


def check_covers(table: dict[str, Any] | list[Any], values: tuple[str, ...], *,
                 where: Text) -> None:
    """Raise unless ``table`` (a mapping or list of ids) has exactly the vocabulary's ``values``.

    >>> check_covers({"a": 1}, ("a", "b"), where="weights")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fairshare.errors.InputError: weights has no value for b (the vocabulary in ... lists a, b).
    """
    keys = list(table)
    missing = [v for v in values if v not in keys]
    extra = [str(k) for k in keys if k not in values]
    if missing:
        raise InputError(msg("vocab_missing_values", where=where, missing=", ".join(missing),
                                vocabulary=WHERE, values=", ".join(values)))
    if extra:
        raise InputError(msg("vocab_extra_values", where=where, extra=", ".join(extra),
                                vocabulary=WHERE, values=", ".join(values)))
