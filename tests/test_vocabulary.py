"""One vocabulary for claimant attributes: import validation, generators, default scorer and the
outcome model's features all use data/vocabulary.yaml."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import registry_fixtures as rf
from fairshare.errors import InputError
from fairshare.exchange.synth import synth_claimant_rows
from fairshare.matching import Destination, Family, Member, Problem, default_scores
from fairshare.matching.scoring import load_scorer_card, member_score
from fairshare.outcomes.features import LEVEL_LABELS, members_from_claimants
from fairshare.outcomes.synth import generate_history, load_generative
from fairshare.service import Context, import_claimants
from fairshare.store.tables import claimants
from fairshare.vocabulary import load_vocabulary
from registry_fixtures import AGREEMENT, families_rows, person, table_counts, write_csv

sqlite_registry = rf.sqlite_registry
V = load_vocabulary()

VOCABULARY_CASES = {
    "education": ("university", "row 2, column education: not an allowed value; allowed: "
                  + ", ".join(V.education)),
    "occupation_group": ("astronaut", "row 2, column occupation_group: not an allowed value; "
                         "allowed: " + ", ".join(V.occupation_groups)),
    "languages": ("fr:superb", "row 2, column languages: an entry is not LANG:LEVEL with a CEFR "
                  "level (e.g. fr:B2; allowed levels A1, A2, B1, B2, C1, C2, native, basic, "
                  "intermediate, fluent)"),
    "work_experience_years": ("71", "row 2, column work_experience_years: must be between 0 "
                              "and 70"),
    "birth_year": ("1850", "row 2, column birth_year: is outside 1900-2026"),
}


@pytest.mark.parametrize("column", sorted(VOCABULARY_CASES))
def test_import_names_row_column_and_allowed_values(sqlite_registry: Context, tmp_path,
                                                    column: str) -> None:
    value, message = VOCABULARY_CASES[column]
    rows = families_rows(2)
    rows[1][column] = value
    columns = list(dict.fromkeys([*rows[0], *rows[1]]))
    before = table_counts(sqlite_registry)
    with pytest.raises(InputError) as err:
        import_claimants(sqlite_registry, path=write_csv(tmp_path / "bad.csv", rows, columns),
                         agreement_id=AGREEMENT)
    assert message in str(err.value)
    shown = str(err.value).replace(message, "").replace(str(tmp_path), "")
    assert value not in shown  # the cell itself is not echoed (the folder's name may hold it)
    assert table_counts(sqlite_registry) == before


def test_occupation_group_is_imported_and_levels_stored_as_cefr(sqlite_registry: Context,
                                                                 tmp_path) -> None:
    rows = [person("V-1", "VF-1", occupation_group="health_care", languages="fr:fluent;en:b2"),
            person("V-2", "VF-1", occupation_group="", languages="es:native")]
    import_claimants(sqlite_registry, path=write_csv(tmp_path / "ok.csv", rows),
                     agreement_id=AGREEMENT)
    with sqlite_registry.engine.connect() as conn:
        stored = sorted(((r.occupation_group or "", r.languages) for r in conn.execute(
            select(claimants.c.occupation_group, claimants.c.languages))), key=repr)
    assert stored == [("", [["es", "native"]]), ("health_care", [["en", "B2"], ["fr", "C1"]])]


def test_generators_draw_only_vocabulary_values() -> None:
    rows = synth_claimant_rows(families=60, seed=2)
    assert {r["education"] for r in rows} <= set(V.education)
    assert {r["occupation_group"] for r in rows} <= set(V.occupation_groups)
    levels = {p.split(":")[1] for r in rows for p in r["languages"].split(";")}
    assert levels <= set(V.language_levels)
    history = generate_history(400, seed=1)
    assert set(history["education"]) <= set(V.education)
    assert set(history["occupation_group"]) <= set(V.occupation_groups)
    gm = load_generative()
    assert gm.education_levels == V.education and gm.occupation_groups == V.occupation_groups


def test_model_features_and_scorer_read_the_same_levels() -> None:
    for level in V.language_levels:
        assert LEVEL_LABELS[level.lower()] == V.model_level(level)
    frame = members_from_claimants([{"id": "a", "family_id": "f", "birth_year": 2000,
                                     "languages": [["fr", "native"], ["en", "intermediate"]]}],
                                   year=2026)
    assert frame.loc[0, "french_level"] == 3 and frame.loc[0, "english_level"] == 2
    weights = load_scorer_card().weights
    assert list(weights["education"]) == list(V.education)


def _member(**fields: object) -> Member:
    base: dict[str, object] = {"id": "m", "family_id": "f", "birth_year": 1990}
    base.update(fields)
    return Member(**base)  # type: ignore[arg-type]


def test_default_scorer_distinguishes_every_level() -> None:
    def at(m: Member) -> float:
        return member_score(m, "ON", None, year=2026)

    none, post = at(_member(education="none")), at(_member(education="post-secondary"))
    assert post > none and at(_member(education="tertiary")) > post
    basic = at(_member(languages=(("en", "A2"),)))
    assert at(_member(languages=(("en", "B1"),))) > basic > at(_member())
    # old labels are stored as CEFR on import; the scorer reads them through the vocabulary
    assert at(_member(languages=(("en", "intermediate"),))) == at(_member(languages=(("en",
                                                                                       "B1"),)))


def test_default_scorer_reference_year_comes_from_the_batch() -> None:
    fam = Family(id="f", size=1, consent=True, members=(_member(birth_year=2008),))
    dest = (Destination(code="ON", capacity=5),)

    def score(as_of: str) -> float:
        problem = Problem(families=(fam,), destinations=dest, scores={}, meta={"as_of": as_of})
        return default_scores(problem)["f"]["ON"]

    # born 2008: school age (17) in 2025, working age (18) in 2026
    assert score("2025-06-01") - score("2026-06-01") == pytest.approx(0.05, abs=1e-6)


def test_matching_batches_can_carry_vocabulary_members() -> None:
    from fairshare.matching.synth import synth_batch

    plain = synth_batch(40, seed=3)
    rich = synth_batch(40, seed=3, members=True, year=2026)
    assert [f.id for f in plain.families] == [f.id for f in rich.families]
    assert plain.scores == rich.scores  # members come from a generator of their own
    assert all(len(f.members) == f.size for f in rich.families)
    people = [m for f in rich.families for m in f.members]
    assert {m.education for m in people} <= set(V.education)
    assert {lvl for m in people for _, lvl in m.languages} <= set(V.language_levels)
    scored = default_scores(rich)  # the default scorer reads them, in the batch's year
    assert all(0 <= v <= 1 for s in scored.values() for v in s.values())
    assert len({round(v, 6) for s in scored.values() for v in s.values()}) > 10
