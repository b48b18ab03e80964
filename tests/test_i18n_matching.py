"""The matching engine's words in the reader's language: problem checks, a batch's diagnosis,
plan-check violations and the factors and scorer errors, through `fairshare match` with
FAIRSHARE_LANG=fr, English unchanged, and the machine JSON in English whatever the language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fairshare.errors import MatchingError
from fairshare.matching import Destination, Family, Problem, check_plan, diagnose
from fairshare.matching.checks import check_problem
from fairshare.matching.route import engine_of

FR = {"FAIRSHARE_LANG": "fr"}
EN = {"FAIRSHARE_LANG": "en"}
NBSP = "\u00a0"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _words(text: str) -> str:
    """Rich's wrapping of a table caption undone."""
    return re.sub(r"[ \n]+", " ", text)


def _match(run_cli, tmp_path: Path, families: str, destinations: str, *args: str,
           env: dict[str, str]):
    fam = _write(tmp_path / "families.csv", families)
    dest = _write(tmp_path / "destinations.csv", destinations)
    return run_cli("match", "--families", str(fam), "--destinations", str(dest), *args, env=env)


@pytest.mark.parametrize(("families", "english", "french"), [
    ("family_id,size,consent\na,2,true\na,1,true\n",
     "duplicate family id 'a' (2 times)", "identifiant de famille « a » en double (2 fois)"),
    ("family_id,size,consent,excluded\na,2,true,ZZ\n",
     "family 'a': unknown destination 'ZZ' in excluded",
     "famille « a » : destination inconnue « ZZ » dans excluded"),
])
def test_a_malformed_problem_is_refused_in_the_readers_language(
        run_cli, tmp_path: Path, families: str, english: str, french: str) -> None:
    dest = "code,capacity\nNB,2\nON,5\n"
    en = _match(run_cli, tmp_path, families, dest, env=EN)
    fr = _match(run_cli, tmp_path, families, dest, env=FR)
    assert en.exit_code == fr.exit_code == 2, (en, fr)
    assert ("Error: The matching problem has 1 problem(s); fix the input and retry:\n"
            f"  - {english}\n") in en.stderr
    assert ("Erreur : Les données d'appariement comportent 1 problème(s) ; corrigez-les et "
            f"réessayez :\n  - {french}\n") in fr.stderr
    assert "duplicate" not in fr.stderr and "unknown" not in fr.stderr


INFEASIBLE = ("family_id,size,consent,services\na,4,true,french\nb,4,true,french\n",
              "code,capacity,min,services\nQC,4,,french\nAB,7000,6815,\n")


def test_an_infeasible_batchs_diagnosis_is_french_with_french_numbers(run_cli,
                                                                      tmp_path: Path) -> None:
    fr = _match(run_cli, tmp_path, *INFEASIBLE, env=FR)
    en = _match(run_cli, tmp_path, *INFEASIBLE, env=EN)
    assert fr.exit_code == en.exit_code == 0, (fr, en)
    french, english = _words(fr.stdout), _words(en.stdout)
    assert ("Conflit : Services en français : 8 personnes en ont besoin, l'offre en couvre 4."
            in french)
    assert (f"Conflit : Les accueils minimaux totalisent 6{NBSP}815 personnes, mais seules 8 "
            "personnes consentent à se déplacer.") in french
    assert (f"Conflit : AB doit recevoir au moins 6{NBSP}815 personnes, mais seules 0 personnes "
            "consentantes peuvent y aller.") in french
    assert "needed by" not in french
    assert "NaN" not in french + english  # no objective: a dash, not "NaN,000"
    assert "Conflict: French-language services needed by 8 persons, offered for 4." in english
    assert ("Conflict: AB must receive at least 6,815 persons, but only 0 consenting persons can "
            "go there.") in english


def test_the_json_summary_keeps_english_diagnosis_in_every_language(run_cli,
                                                                    tmp_path: Path) -> None:
    fr = _match(run_cli, tmp_path, *INFEASIBLE, "--format", "json", env=FR)
    assert fr.exit_code == 0, fr
    diagnosis = json.loads(fr.stdout)["diagnosis"]
    assert "French-language services needed by 8 persons, offered for 4." in diagnosis
    assert ("Minimum intakes add up to 6,815 persons, but only 8 persons consent to move."
            in diagnosis)


def test_a_plan_check_violation_is_french(run_cli, tmp_path: Path) -> None:
    families = "family_id,size,consent,current\na,2,true,NB\nb,2,true,NB\n"
    dest = "code,capacity\nNB,2\nON,5\n"
    fr = _match(run_cli, tmp_path, families, dest, "--solver", "status-quo", env=FR)
    en = _match(run_cli, tmp_path, families, dest, "--solver", "status-quo", env=EN)
    assert fr.exit_code == en.exit_code == 0, (fr, en)
    assert "Violation : NB reçoit 4 personnes, au-delà de sa limite de 2" in _words(fr.stdout)
    assert "Violation: NB receives 4 persons, above its limit 2" in _words(en.stdout)
    data = json.loads(_match(run_cli, tmp_path, families, dest, "--solver", "status-quo",
                             "--format", "json", env=FR).stdout)
    assert data["violations"] == ["NB receives 4 persons, above its limit 2"]


def test_a_factors_file_error_is_french(run_cli, tmp_path: Path) -> None:
    factors = _write(tmp_path / "factors.csv", "member_id,family_id,destination,feature,value,"
                     "contribution\nm,a,NB,age_band,x,abc\n")
    families, dest = "family_id,size,consent\na,2,true\n", "code,capacity\nNB,2\n"
    fr = _match(run_cli, tmp_path, families, dest, "--factors", str(factors), env=FR)
    en = _match(run_cli, tmp_path, families, dest, "--factors", str(factors), env=EN)
    assert fr.exit_code == en.exit_code == 2, (fr, en)
    assert (f"Erreur : {factors} : 1 problème(s) ; rien n'a été utilisé :\n"
            "  - ligne 2, colonne contribution : « abc » n'est pas un nombre") in fr.stderr
    assert (f"Error: {factors}: 1 problem(s); nothing was used:\n"
            "  - row 2, column contribution: 'abc' is not a number") in en.stderr
    _write(factors, "member_id,family_id,destination\n")
    fr = _match(run_cli, tmp_path, families, dest, "--factors", str(factors), env=FR)
    assert fr.exit_code == 2, fr
    assert (f"{factors} : colonne(s) manquante(s) feature, value, contribution ; écrivez le "
            "fichier avec") in fr.stderr


def test_a_scorer_error_is_french(run_cli, tmp_path: Path) -> None:
    members = _write(tmp_path / "members.csv", "member_id,family_id,education\na1,a,phd\n")
    families, dest = "family_id,size,consent\na,1,true\n", "code,capacity\nNB,2\n"
    fr = _match(run_cli, tmp_path, families, dest, "--members", str(members), env=FR)
    en = _match(run_cli, tmp_path, families, dest, "--members", str(members), env=EN)
    assert fr.exit_code == en.exit_code == 2, (fr, en)
    assert "Erreur : Personne a1 : les études « phd » ne figurent pas dans le vocabulaire (" \
        in fr.stderr
    assert "Error: Member a1: education 'phd' is not in the vocabulary (" in en.stderr


def test_an_unknown_solver_is_refused_in_french(run_cli, tmp_path: Path) -> None:
    families, dest = "family_id,size,consent\na,1,true\n", "code,capacity\nNB,2\n"
    fr = _match(run_cli, tmp_path, families, dest, "--solver", "magic", env=FR)
    assert fr.exit_code == 2, fr
    assert "Erreur : Solveur inconnu « magic » ; choisissez parmi auto, exact, fast" in fr.stderr


def test_engine_messages_render_in_both_languages() -> None:
    """The engine's functions return messages: `str()` is the English the tests and docs quote,
    `render("fr")` the French, with the reader's number separators."""
    problem = Problem((Family("a", 9, True, excluded=frozenset({"NB"})),),
                      (Destination("NB", 20), Destination("ON", 8, housing_units={"5+": 2}),
                       Destination("QC", 8, housing_units={"3-4": 1, "4+": 1})),
                      {"a": {"NB": 0.5, "ON": 0.5, "QC": 0.5}})
    with pytest.raises(MatchingError) as caught:
        check_problem(problem)
    assert caught.value.details == ["destination 'QC': housing bands '3-4' and '4+' overlap"]
    assert caught.value.details_in("fr") == [
        "destination « QC » : les tranches de logement « 3-4 » et « 4+ » se chevauchent"]
    sound = Problem(problem.families, problem.destinations[:2], problem.scores)
    nowhere = diagnose(sound)[-1]
    assert str(nowhere) == "Family 'a' (size 9) can go nowhere: excluded at 1, too-large at 1."
    assert nowhere.render("fr") == ("La famille « a » (taille 9) ne peut aller nulle part : "
                                    "exclue (1), trop nombreuse (1).")
    big = Problem(tuple(Family(f"f{i}", 5, True) for i in range(2)),
                  (Destination("ON", 6815),), {f"f{i}": {"ON": 0.5} for i in range(2)})
    over = check_plan(big, {"f0": "ON", "f1": "ON", "zz": "ON"})
    assert [str(v) for v in over] == ["plan names unknown family 'zz'"]
    short = Problem(big.families, (Destination("ON", 20000, min_intake=16815),), big.scores)
    [below] = check_plan(short, {"f0": "ON", "f1": None})
    assert str(below) == "ON receives 5 persons, below its minimum 16,815"
    assert below.render("fr") == f"ON reçoit 5 personnes, en deçà de son minimum de 16{NBSP}815"
    with pytest.raises(MatchingError) as caught:
        engine_of(None, "magic", None)  # type: ignore[arg-type]
    assert caught.value.text("fr").startswith("Solveur inconnu « magic »")
