"""The claimant import schema: an allow-list, validated row by row.

One row per person. Unknown columns are refused (data minimisation), special categories of
personal data (religion, ethnicity, claim narrative, ...) are refused by name, and every problem
is reported with its row (1 = first data row) and column. Messages never repeat a cell's value
(it may be personal data), except jurisdiction codes and the ids named by conflicts.
Family-level columns (preferences, excluded, services, ties, current_jurisdiction) must agree
between the rows of one family.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fairshare.i18n import Text, msg
from fairshare.vocabulary import load_vocabulary

FIELDS: tuple[str, ...] = (
    "claimant_id", "family_id", "current_jurisdiction", "birth_year", "sex", "languages",
    "education", "work_experience_years", "occupation_group", "arrived_on", "consent",
    "consent_text_version", "consent_at", "preferences", "excluded", "services", "ties",
)
REQUIRED_FIELDS: tuple[str, ...] = ("claimant_id", "family_id", "current_jurisdiction",
                                    "consent", "consent_text_version")
FAMILY_FIELDS: tuple[str, ...] = ("current_jurisdiction", "preferences", "excluded", "services",
                                  "ties")
SPECIAL_CATEGORIES = frozenset({
    "religion", "ethnicity", "ethnic_origin", "race", "claim_narrative", "narrative",
    "sexual_orientation", "political_opinion", "health", "health_condition", "diagnosis",
    "biometrics", "fingerprint", "trade_union", "criminal_record", "name", "first_name",
    "last_name", "surname", "address", "phone", "email", "passport_number", "uci",
})
SEXES = ("F", "M", "X")
VOCABULARY = load_vocabulary()  # education, language levels, occupations: data/vocabulary.yaml
EDUCATION = VOCABULARY.education
LANGUAGE_LEVELS = VOCABULARY.language_levels
OCCUPATION_GROUPS = VOCABULARY.occupation_groups
SERVICES = ("french", "english", "health-specialised", "trauma-care", "accessible-housing",
            "school-places")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")
_LANG = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class PersonRecord:
    """One validated row (raw partner ids: they are pseudonymised before storage)."""

    row: int
    claimant_id: str
    family_id: str
    current: str
    birth_year: int | None
    sex: str | None
    languages: tuple[tuple[str, str], ...]
    education: str | None
    work_experience_years: float | None
    arrived_on: dt.date | None
    consent_text_version: str
    consent_at: dt.datetime | None
    preferences: tuple[str, ...]
    excluded: tuple[str, ...]
    services: tuple[str, ...]
    ties: tuple[str, ...]
    occupation_group: str | None = None

    def person_key(self) -> str:
        """The person's own fields (family excluded) as deterministic text, cheap to hash.

        ``occupation_group`` enters only when given, so records imported before the field
        existed keep their hash."""
        own = (self.birth_year, self.sex, self.languages, self.education,
               self.work_experience_years,
               self.arrived_on.isoformat() if self.arrived_on else None)
        return repr(own if self.occupation_group is None else (*own, self.occupation_group))

    def person_content(self) -> dict[str, Any]:
        """The person's own fields (what the conflict check compares)."""
        content = {"family_id": self.family_id, "birth_year": self.birth_year, "sex": self.sex,
                   "languages": [list(x) for x in self.languages], "education": self.education,
                   "work_experience_years": self.work_experience_years,
                   "arrived_on": self.arrived_on.isoformat() if self.arrived_on else None}
        if self.occupation_group is not None:
            content["occupation_group"] = self.occupation_group
        return content

    def family_key(self) -> tuple[Any, ...]:
        """The family-level fields as a tuple (cheap to compare)."""
        return (self.current, self.preferences, self.excluded, self.services, self.ties)

    def family_content(self) -> dict[str, Any]:
        """The family-level fields."""
        return {"current": self.current, "preferences": list(self.preferences),
                "excluded": list(self.excluded), "services": list(self.services),
                "ties": list(self.ties)}


class _Row:
    """Collects the problems of one row while its cells are parsed."""

    def __init__(self, number: int, raw: Mapping[str, Any], errors: list[Text]) -> None:
        self.number = number
        self.raw = raw
        self.errors = errors
        self.ok = True

    def fail(self, column: str, message: Text) -> None:
        self.ok = False
        self.errors.append(msg("batch_cell", row=self.number, column=column, problem=message))

    def text(self, column: str) -> str:
        value = self.raw.get(column)
        if value is None:
            return ""
        return str(value).strip()

    def parsed(self, column: str, parse: Callable[[str], Any], hint: Text) -> Any:
        value = self.text(column)
        if not value:
            return None
        try:
            return parse(value)
        except (ValueError, TypeError):
            self.fail(column, msg("batch_not_parsed", hint=hint))
            return None


def check_columns(columns: Sequence[str], allowed: Sequence[str], *, source: str) -> list[Text]:
    """Problems with the header: special categories, unknown or missing columns, duplicates."""
    problems: list[Text] = []
    seen: set[str] = set()
    for col in columns:
        name = col.strip()
        if name in seen:
            problems.append(msg("batch_column_twice", column=name))
        seen.add(name)
        if name.lower() in SPECIAL_CATEGORIES:
            problems.append(msg("batch_column_special", column=name))
        elif name not in FIELDS:
            problems.append(msg("batch_column_unknown", column=name, allowed=", ".join(FIELDS)))
        elif name not in allowed:
            problems.append(msg("batch_column_not_allowed", column=name))
    problems.extend(msg("batch_column_missing", column=req) for req in REQUIRED_FIELDS
                    if req not in seen)
    return [msg("batch_in_source", source=source, problem=p) for p in problems]


def _codes(row: _Row, column: str, codes: frozenset[str]) -> tuple[str, ...]:
    text = row.text(column)
    if not text:
        return ()
    out: list[str] = []
    for part in text.replace(",", ";").split(";"):
        code = part.strip().upper()
        if not code:
            continue
        if code not in codes:
            known = ", ".join(sorted(codes))
            row.fail(column, msg("batch_not_a_code", code=code, codes=known)
                     if len(code) <= 4 and code.isalnum() else
                     msg("batch_entry_not_a_code", codes=known))
        elif code in out:
            row.fail(column, msg("batch_code_twice", code=code))
        else:
            out.append(code)
    return tuple(out)


def _languages(row: _Row) -> tuple[tuple[str, str], ...]:
    text = row.text("languages")
    out: list[tuple[str, str]] = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        lang, _, written = part.partition(":")
        lang = lang.strip().lower()
        level = VOCABULARY.language_level(written) if written.strip() else None
        if not _LANG.match(lang) or level is None:
            row.fail("languages", msg("batch_language_entry",
                                      levels=", ".join(VOCABULARY.accepted_levels())))
        elif any(known == lang for known, _ in out):
            row.fail("languages", msg("batch_language_twice", language=lang))
        else:
            out.append((lang, level))
    return tuple(sorted(out))


def _services(row: _Row) -> tuple[str, ...]:
    values = sorted({p.strip().lower() for p in row.text("services").split(";") if p.strip()})
    for value in values:
        if value not in SERVICES:
            row.fail("services", msg("batch_service_unknown", services=", ".join(SERVICES)))
    return tuple(values)


def _identifier(row: _Row, column: str) -> str:
    value = row.text(column)
    if not value:
        row.fail(column, msg("batch_required"))
    elif not _ID.match(value):
        row.fail(column, msg("batch_identifier"))
    return value


def _timestamp(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def validate_row(number: int, raw: Mapping[str, Any], *, codes: frozenset[str], year: int,
                 errors: list[Text],
                 cache: dict[tuple[str, ...], _FamilyFields] | None = None) -> PersonRecord | None:
    """One row, or None when it has problems (appended to ``errors``)."""
    row = _Row(number, raw, errors)
    claimant_id = _identifier(row, "claimant_id")
    family_id = _identifier(row, "family_id")
    fam = _family_fields(row, codes, cache)
    birth_year = row.parsed("birth_year", int, msg("batch_hint_year"))
    if birth_year is not None and not VOCABULARY.birth_year_min <= birth_year <= year:
        row.fail("birth_year", msg("batch_birth_year", low=VOCABULARY.birth_year_min, year=year))
    sex = row.text("sex").upper() or None
    if sex is not None and sex not in SEXES:
        row.fail("sex", msg("batch_sex", allowed=", ".join(SEXES)))
    education = row.text("education").lower() or None
    if education is not None and education not in EDUCATION:
        row.fail("education", msg("batch_not_allowed", allowed=", ".join(EDUCATION)))
    occupation = row.text("occupation_group").lower() or None
    if occupation is not None and occupation not in OCCUPATION_GROUPS:
        row.fail("occupation_group", msg("batch_not_allowed", allowed=", ".join(OCCUPATION_GROUPS)))
    work = row.parsed("work_experience_years", float, msg("batch_hint_years"))
    low, high = VOCABULARY.work_experience
    if work is not None and not low <= work <= high:
        row.fail("work_experience_years", msg("batch_work_years", low=format(low, "g"),
                                              high=format(high, "g")))
    arrived = row.parsed("arrived_on", dt.date.fromisoformat, msg("batch_hint_date"))
    consent = row.text("consent").lower()
    if consent not in ("yes", "true", "1", "y"):
        row.fail("consent", msg("batch_consent"))
    version = row.text("consent_text_version")
    if not version or len(version) > 32:
        row.fail("consent_text_version", msg("batch_consent_version"))
    consent_at = row.parsed("consent_at", _timestamp, msg("batch_hint_datetime"))
    languages = _languages(row)
    if not row.ok:
        return None
    return PersonRecord(
        row=number, claimant_id=claimant_id, family_id=family_id, current=fam[0],
        birth_year=birth_year, sex=sex, languages=languages, education=education,
        work_experience_years=work, arrived_on=arrived, consent_text_version=version,
        consent_at=consent_at, preferences=fam[1], excluded=fam[2], services=fam[3],
        ties=fam[4], occupation_group=occupation)


_FamilyFields = tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def _family_fields(row: _Row, codes: frozenset[str],
                   cache: dict[tuple[str, ...], _FamilyFields] | None) -> _FamilyFields:
    """The family-level columns, parsed once per distinct raw text (valid parses are cached)."""
    raw = tuple(row.text(c) for c in FAMILY_FIELDS)
    if cache is not None and raw in cache:
        return cache[raw]
    before = row.ok
    row.ok = True
    current = _codes(row, "current_jurisdiction", codes)
    if row.ok and len(current) != 1:
        row.fail("current_jurisdiction", msg("batch_current_required"))
    prefs = _codes(row, "preferences", codes)
    excluded = tuple(sorted(_codes(row, "excluded", codes)))
    if row.ok and set(prefs) & set(excluded):
        row.fail("excluded", msg("batch_preferred_excluded"))
    parsed: _FamilyFields = (current[0] if current else "", prefs, excluded, _services(row),
                             tuple(sorted(_codes(row, "ties", codes))))
    if row.ok and cache is not None:
        cache[raw] = parsed
    row.ok = row.ok and before
    return parsed


def validate_rows(rows: Iterable[Mapping[str, Any]], *, codes: frozenset[str],
                  year: int) -> tuple[list[PersonRecord], list[Text]]:
    """Validate every row and the consistency of ids and families across rows."""
    errors: list[Text] = []
    records: list[PersonRecord] = []
    seen: dict[str, int] = {}
    families: dict[str, PersonRecord] = {}
    cache: dict[tuple[str, ...], _FamilyFields] = {}
    for number, raw in enumerate(rows, start=1):
        record = validate_row(number, raw, codes=codes, year=year, errors=errors, cache=cache)
        if record is None:
            continue
        if record.claimant_id in seen:
            errors.append(msg("batch_cell", row=number, column="claimant_id", problem=msg(
                "batch_duplicate_claimant", claimant=record.claimant_id,
                first=seen[record.claimant_id])))
            continue
        seen[record.claimant_id] = number
        first = families.setdefault(record.family_id, record)
        if first is not record and first.family_key() != record.family_key():
            mine, theirs = record.family_content(), first.family_content()
            for col, key in (("current_jurisdiction", "current"), ("preferences", "preferences"),
                             ("excluded", "excluded"), ("services", "services"),
                             ("ties", "ties")):
                if mine[key] != theirs[key]:
                    errors.append(msg("batch_cell", row=number, column=col, problem=msg(
                        "batch_family_differs", first=first.row, family=record.family_id)))
        records.append(record)
    return records, errors
