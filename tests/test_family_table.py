"""The problem's families held as columns (issue 13, point 4) and the plan check over them."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import pytest

from fairshare.errors import InputError
from fairshare.matching import Destination, Family, Problem, check_plan
from fairshare.matching.io import read_families, read_problem
from fairshare.matching.problem import (
    FamilyTable,
    Member,
    MemberTable,
    family_scores_from_members,
)


def _families() -> tuple[Family, ...]:
    return (Family("c", 3, True, current="QC", preferences=("ON", "NB")),
            Family("a", 1, False, excluded=frozenset({"ON"})),
            Family("b", 2, True, services=frozenset({"french"}), ties=frozenset({"NB"}),
                   members=(Member("b1", "b"), Member("b2", "b"))))


def test_a_problem_holds_its_families_as_columns_that_read_back_as_the_same_families() -> None:
    fams = _families()
    problem = Problem(fams, (Destination("ON", 10),), {})
    table = problem.family_table
    assert isinstance(problem.families, FamilyTable) and table is problem.families
    assert table.ids == ("c", "a", "b")
    assert table.sizes.tolist() == [3, 1, 2] and table.consent.tolist() == [True, False, True]
    assert table.current == ("QC", None, None)
    assert table.preferences == (("ON", "NB"), (), ())
    assert table.members[2] == (Member("b1", "b"), Member("b2", "b"))
    assert not table.sizes.flags.writeable and not table.consent.flags.writeable
    assert tuple(problem.families) == fams and problem.families == fams and fams[1] in table
    assert problem.persons == 6 and table.row_of == {"c": 0, "a": 1, "b": 2}
    assert problem.sorted().family_table.ids == ("a", "b", "c")
    assert list(problem.sorted().families) == sorted(fams, key=lambda f: f.id)
    assert table[1:].ids == ("a", "b") and table[-1] == fams[2]
    assert table.take(np.array([2, 0])) == (fams[2], fams[0])
    assert pickle.loads(pickle.dumps(problem)) == problem


def test_a_table_built_from_columns_gives_the_same_families_as_one_built_from_values() -> None:
    fams = _families()
    built = FamilyTable([f.id for f in fams], [f.size for f in fams], [f.consent for f in fams],
                        current=[f.current for f in fams], services=[f.services for f in fams],
                        excluded=[f.excluded for f in fams],
                        preferences=[f.preferences for f in fams], ties=[f.ties for f in fams],
                        members=[f.members for f in fams])
    assert built == FamilyTable.of(fams) and hash(built) == hash(FamilyTable.of(fams))
    assert [built[i] for i in range(3)] == list(fams)


def test_the_reader_fills_the_columns_without_a_family_per_row(tmp_path: Path) -> None:
    path = tmp_path / "families.csv"
    path.write_text("family_id,size,consent,current,excluded,preferences,services,ties\n"
                    "f1,2,yes,QC,ON; NB,NB;MB,french,\n"
                    "f2,1,false,,,,,QC\n", encoding="utf-8")
    table = read_families(path)
    assert table._objects is None  # no Family value was built
    assert table.ids == ("f1", "f2") and table.sizes.tolist() == [2, 1]
    assert table.consent.tolist() == [True, False] and table.current == ("QC", None)
    assert table.excluded == (frozenset({"ON", "NB"}), frozenset())
    assert table.preferences == (("NB", "MB"), ()) and table.ties == (frozenset(), {"QC"})
    assert list(table) == [Family("f1", 2, True, current="QC", services=frozenset({"french"}),
                                  excluded=frozenset({"ON", "NB"}), preferences=("NB", "MB")),
                           Family("f2", 1, False, ties=frozenset({"QC"}))]


def test_members_are_attached_to_their_families_column(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text("family_id,size,consent\nf1,2,true\nf2,1,true\n",
                                    encoding="utf-8")
    (tmp_path / "d.csv").write_text("code,capacity\nON,10\n", encoding="utf-8")
    (tmp_path / "m.csv").write_text("member_id,family_id\nm1,f1\nm2,f1\nm3,f2\n",
                                    encoding="utf-8")
    (tmp_path / "s.csv").write_text("member_id,destination,score\nm1,ON,0.2\nm2,ON,0.4\n"
                                    "m3,ON,0.9\n", encoding="utf-8")
    problem = read_problem(tmp_path / "f.csv", tmp_path / "d.csv", tmp_path / "s.csv",
                           tmp_path / "m.csv")
    assert [[m.id for m in people] for people in problem.family_table.members] == [
        ["m1", "m2"], ["m3"]]
    assert abs(problem.scores["f1"]["ON"] - 0.3) < 1e-12  # the mean over its two members


def test_the_plan_check_names_every_broken_rule_family_by_family() -> None:
    """Hand-checked: each family breaks one or two rules; the destinations' totals follow."""
    fams = (Family("a", 2, False),                                 # no consent
            Family("b", 1, True, excluded=frozenset({"ON"})),      # excluded
            Family("c", 3, True, services=frozenset({"french", "health"})),  # services
            Family("d", 6, True),                                  # no band for 6 at ON
            Family("e", 1, True),                                  # no score at NB
            Family("f", 1, True),                                  # unknown destination
            Family("g", 2, True),                                  # fine
            Family("h", 1, True))                                  # left out of the plan
    dests = (Destination("ON", 12, services=frozenset({"french"}),
                         housing_units={"1-2": 1, "3-5": 3}),
             Destination("NB", 5, min_intake=4))
    scores = {f.id: {"ON": 0.5, "NB": 0.5} for f in fams}
    scores["e"] = {"ON": 0.5}
    problem = Problem(fams, dests, scores)
    plan = {"a": "ON", "b": "ON", "c": "ON", "d": "ON", "e": "NB", "f": "YT", "g": "ON",
            "zz": None}
    assert [str(m) for m in check_plan(problem, plan)] == [
        "plan names unknown family 'zz'",
        "family 'h' is missing from the plan",
        "family 'a' did not consent but is placed at ON",
        "family 'b' is placed at ON, which is excluded",
        "family 'c' needs health, not offered at ON",
        "family 'd' (size 6) has no housing band at ON",
        "family 'e' placed at NB, which has no score for it",
        "family 'f' placed at unknown destination 'YT'",
        "NB receives 1 persons, below its minimum 4",
        "ON receives 14 persons, above its limit 12",
        "ON uses 3 housing units of band 1-2, above the 1 offered",
    ]
    fine = {f.id: ("ON" if f.id == "g" else None) for f in fams}
    assert [str(m) for m in check_plan(problem, fine)] == [
        "NB receives 0 persons, below its minimum 4"]


def test_member_scores_read_as_columns_equal_the_mean_over_members(tmp_path: Path) -> None:
    """Against the per-family reference (family_scores_from_members), exactly: random families
    of 1-5 members listed out of order, some members without a score, some pairs missing."""
    rng = np.random.default_rng(7)
    codes = ("NB", "ON", "QC")
    fam_rows, member_rows, score_rows = [], [], []
    for f in rng.permutation(60).tolist():
        size = int(rng.integers(1, 6))
        fam_rows.append(f"f{f},{size},true")
        for m in range(size):
            member_rows.append((f"m{f}-{m}", f"f{f}"))
    rng.shuffle(member_rows)
    for mid, _ in member_rows:
        if rng.random() < 0.05:
            continue  # a member without any score
        for code in codes:
            if rng.random() < 0.9:
                score_rows.append(f"{mid},{code},{rng.random():.6f}")
    (tmp_path / "f.csv").write_text("family_id,size,consent\n" + "\n".join(fam_rows) + "\n",
                                    encoding="utf-8")
    (tmp_path / "d.csv").write_text("code,capacity\n" + "".join(f"{c},99\n" for c in codes),
                                    encoding="utf-8")
    (tmp_path / "m.csv").write_text("member_id,family_id,birth_year\n" + "".join(
        f"{m},{f},{1950 + k % 50}\n" for k, (m, f) in enumerate(member_rows)), encoding="utf-8")
    (tmp_path / "s.csv").write_text("member_id,destination,score\n" + "\n".join(score_rows)
                                    + "\n", encoding="utf-8")
    problem = read_problem(tmp_path / "f.csv", tmp_path / "d.csv", tmp_path / "s.csv",
                           tmp_path / "m.csv")
    table = problem.family_table
    assert table._members is None  # the members stayed columns
    member_scores: dict[str, dict[str, float]] = {}
    for row in score_rows:
        mid, code, value = row.split(",")
        member_scores.setdefault(mid, {})[code] = float(value)
    expected = {fid: row for fid, row in family_scores_from_members(
        member_scores, tuple(problem.families)).items() if row}
    got = {fid: dict(problem.scores[fid]) for fid in problem.scores}
    assert {k: v for k, v in got.items() if v} == expected
    # sorting keeps each family's members with it, in their order
    ordered = problem.sorted().family_table
    assert [[m.id for m in people] for people in ordered.members] == [
        [m.id for m in f.members] for f in sorted(problem.families, key=lambda f: f.id)]
    assert all(m.family_id == f.id for f in ordered for m in f.members)
    assert {m.birth_year for f in ordered for m in f.members} <= set(range(1950, 2000))


def test_a_familys_rules_come_without_building_its_members() -> None:
    people = MemberTable(("m2", "m1"), ("f1", "f1"), birth_year=[1990.0, math.nan])
    table = FamilyTable(("f1",), [2], [True], excluded=[frozenset({"ON"})], people=people)
    assert table.rules_of(0) == Family("f1", 2, True, excluded=frozenset({"ON"}))
    assert table._members is None and table._objects is None
    assert table[0] == Family("f1", 2, True, excluded=frozenset({"ON"}),
                              members=(Member("m2", "f1", 1990), Member("m1", "f1")))


def test_a_bad_member_cell_is_named_by_file_row_and_column(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text("family_id,size,consent\nf1,2,true\n", encoding="utf-8")
    (tmp_path / "d.csv").write_text("code,capacity\nON,10\n", encoding="utf-8")
    for text, column in (("member_id,family_id,birth_year\nm1,f1,1990\nm2,f1,19x0\n",
                          "birth_year"),
                         ("member_id,family_id,work_experience_years\nm1,f1,2.5\nm2,f1,two\n",
                          "work_experience_years")):
        members = tmp_path / "m.csv"
        members.write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as caught:
            read_problem(tmp_path / "f.csv", tmp_path / "d.csv", None, members)
        assert f"{members}, row 3, column {column}" in str(caught.value)


def test_a_member_table_refuses_columns_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="one value per member"):
        MemberTable(("m1", "m2"), ("f1", "f1"), birth_year=np.array([1990.0]))
