"""The CLI in French (FAIRSHARE_LANG=fr): `--help` of every command, Typer's words around it,
table titles and headers, the `synth` lines; English stays as it was and CSV keeps its fields."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

FR = {"FAIRSHARE_LANG": "fr"}
EN = {"FAIRSHARE_LANG": "en"}

# Every help text of the command tree (commands, groups, options, arguments), by command path.
_WALK = """
import json, typer.main
from fairshare.cli import app
def walk(cmd, path):
    out = {"command " + (" ".join(path) or "fairshare"): cmd.help or ""}
    for p in cmd.params:
        out["param " + " ".join([*path, p.name])] = getattr(p, "help", None) or ""
    for name, sub in getattr(cmd, "commands", {}).items():
        if not sub.hidden:
            out.update(walk(sub, [*path, name]))
    return out
print(json.dumps(walk(typer.main.get_command(app), [])))
"""

# Help texts that are the same words in both languages (a destination, a list of codes).
SAME_IN_FRENCH = {"param assign to", "param audit show entity_type"}


def _help_texts(lang: str) -> dict[str, str]:
    proc = subprocess.run([sys.executable, "-c", _WALK], capture_output=True, text=True,
                          env={**_environ(), "FAIRSHARE_LANG": lang}, check=True, timeout=300)
    texts: dict[str, str] = json.loads(proc.stdout)
    return texts


def _words(text: str) -> str:
    """The text with Rich's wrapping undone (line breaks, padding and panel borders)."""
    return re.sub(r"[ \n│╭╮╰╯─]+", " ", text)


def _environ() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LANG", "FAIRSHARE_LANG")}


def test_main_help_is_french(run_cli) -> None:
    fr = run_cli("--help", env=FR)
    assert fr.exit_code == 0, fr
    out = _words(fr.stdout)
    assert "Répartition équitable et fondée sur le consentement des demandeurs d'asile" in out
    assert "Utilisation :" in out and "Commandes" in out
    assert "Afficher ce message et quitter." in out
    assert "La part de chaque administration selon une clé et sa juste part" in out
    assert "Show this message" not in out and "Usage:" not in out
    en = run_cli("--help", env=EN)
    words = _words(en.stdout)
    assert "Fair, consent-based distribution of asylum claimants across a federation." in words
    assert "Usage:" in words and "Commands" in words and "Show this message and exit." in words


def test_subcommand_help_is_french(run_cli) -> None:
    balance = run_cli("balance", "--help", env=FR)
    assert balance.exit_code == 0, balance
    out = _words(balance.stdout)
    assert "Accueil par rapport à la juste part, par administration" in out
    assert "[obligatoire]" in out and "[par défaut : 2024]" in out
    assert "`jurisdictions` (la somme de leurs accueils, par défaut)" in out
    create = _words(run_cli("run", "create", "--help", env=FR).stdout)
    assert "Construire le problème d'appariement à partir du registre" in create
    assert "le coût d'opportunité d'utiliser la capacité maintenant" in create
    group = _words(run_cli("synth", "--help", env=FR).stdout)
    assert "Écrire un lot synthétique réaliste pour le Canada (aucune personne réelle)" in group
    apportion = _words(run_cli("apportion", "--help", env=FR).stdout)
    assert "Méthode de répartition" in apportion and "hamilton" in apportion


def test_every_help_text_has_its_french() -> None:
    """Each command, group, option and argument has a help text in both languages, and the
    French one is not the English left in place."""
    en, fr = _help_texts("en"), _help_texts("fr")
    assert en.keys() == fr.keys() and len(en) > 250
    commands = [k for k in en if k.startswith("command ")]
    assert len(commands) > 80
    assert [k for k in commands if not en[k] or not fr[k]] == []
    untranslated = sorted(k for k, text in en.items()
                          if text and fr[k] == text and k not in SAME_IN_FRENCH)
    assert untranslated == []
    assert fr["command fairshare"].startswith("Répartition équitable")
    assert fr["command match"].startswith("Proposer la destination de chaque famille consentante")
    assert fr["param balance years"] == "Une année, un intervalle (2019-2024) ou une liste (2019,2021)."


def test_tables_are_french_and_csv_keeps_its_fields(run_cli) -> None:
    fr = run_cli("shares", "-k", "canada-population", "-n", "1000", env=FR)
    assert fr.exit_code == 0, fr
    assert "Justes parts de 1\u00a0000 selon canada-population (hamilton)" in fr.stdout
    header = next(line for line in fr.stdout.splitlines() if "code" in line)
    assert "juste part" in header and "part (population)" in header and "nom" in header
    assert "0,3893" in fr.stdout  # Ontario's share, French decimals
    assert "Clé canada-population (version du 2025-04-01), données : canada." in fr.stdout
    csv_fr = run_cli("shares", "-k", "canada-population", "-n", "1000", "-f", "csv", env=FR)
    csv_en = run_cli("shares", "-k", "canada-population", "-n", "1000", "-f", "csv", env=EN)
    assert csv_fr.stdout == csv_en.stdout  # the contract: field names and plain numbers
    assert csv_fr.stdout.startswith("code,name,share,fair_share")
    en = run_cli("shares", "-k", "canada-population", "-n", "1000", env=EN)
    assert "Fair shares of 1,000 under canada-population (hamilton)" in en.stdout
    assert "fair_share" in en.stdout and "0.3893" in en.stdout


def test_match_and_synth_speak_french(run_cli, tmp_path: Path) -> None:
    wrote = run_cli("synth", "batch", "--families", "30", "--seed", "1", "--out", "b", env=FR)
    assert wrote.exit_code == 0, wrote
    assert "familles (" in wrote.stdout and "destinations et leurs scores écrits dans b." \
        in wrote.stdout
    english = run_cli("synth", "batch", "--families", "30", "--seed", "1", "--out", "e", env=EN)
    assert english.stdout.startswith("Wrote 30 families (")
    match = run_cli("match", "--families", "b/families.csv", "--destinations",
                    "b/destinations.csv", "--scores", "b/scores.csv", env=FR)
    assert match.exit_code == 0, match
    assert "Placements par destination" in match.stdout
    assert "Ce plan par rapport aux références" in match.stdout
    assert "Statut optimal : objectif" in match.stdout
    assert "personnes placées" in match.stdout and "remplissage" in match.stdout
    claimants = run_cli("synth", "claimants", "--families", "3", "--out", "c.csv", env=FR)
    assert claimants.exit_code == 0 and "familles écrits dans c.csv." in claimants.stdout


def test_registry_tables_are_french(run_cli, tmp_path: Path) -> None:
    env = {"FAIRSHARE_HOME": str(tmp_path / "var"), "FAIRSHARE_USER": "cli-tester",
           "FAIRSHARE_DATABASE_URL": ""}
    assert run_cli("init", env=env).exit_code == 0
    status = run_cli("status", env={**env, **FR})
    assert status.exit_code == 0, status
    assert "Registre fairshare" in status.stdout and "entrées d'audit" in status.stdout
    assert "Base de données :" in status.stdout
    assert json.loads(run_cli("status", "-f", "json", env={**env, **FR}).stdout)["audit_entries"] >= 1
    english = run_cli("status", env={**env, **EN})
    assert "fairshare registry" in english.stdout and "audit_entries" in english.stdout


# Typer's usage errors (written by its vendored Click as English literals), in French: the
# frame and the message rebuilt from the error's fields; English unchanged.
USAGE_ERRORS = [
    (("map",), "Erreur : Option manquante : '--key' / '-k'.",
     "Error: Missing option '--key' / '-k'."),
    (("nosuchcommand",), "Erreur : Commande inconnue : 'nosuchcommand'.",
     "Error: No such command 'nosuchcommand'."),
    (("status", "extra"), "Erreur : Argument(s) en trop : extra",
     "Error: Got unexpected extra argument(s) (extra)"),
    (("synth", "arrivals", "--families", "abc", "--out", "x"),
     "Erreur : Valeur non valide pour '--families' : 'abc' (pas un nombre entier)",
     "Error: Invalid value for '--families': Input should be a valid integer"),
    (("balance", "--format", "xml"),
     "Erreur : Valeur non valide pour '--format' / '-f' : 'xml' ne fait pas partie des choix : "
     "'table', 'csv', 'json'.", "Error: Invalid value for '--format' / '-f'"),
    (("balance", "--key"), "Erreur : L'option '--key' demande une valeur.",
     "Error: Option '--key' requires an argument."),
    (("balance", "--nosuchoption"), "Erreur : Option inconnue : --nosuchoption",
     "Error: No such option: --nosuchoption"),
]


def test_usage_errors_are_french(run_cli) -> None:
    for args, french, english in USAGE_ERRORS:
        fr = run_cli(*args, env=FR)
        assert fr.exit_code == 2, (args, fr.stderr)
        assert french in fr.stderr, (args, fr.stderr)
        assert "Error:" not in fr.stderr and "Usage:" not in fr.stderr, fr.stderr
        if args != ("balance", "--key"):  # Click shows no usage line for an option's value
            assert "Essayez « " in fr.stderr and "--help » pour obtenir de l'aide." \
                in fr.stderr, fr.stderr
        en = run_cli(*args, env=EN)
        assert en.exit_code == 2 and english in en.stderr, (args, en.stderr)

# A refused input of each command module, with its French message (file positions, quotes and
# spacing of the French catalogue) and a part of the English one that must not be left in place.
REFUSALS = [
    (("apportion", "-n", "3", "w.csv"), {"w.csv": "name,weight\nA,1\nB,lots\n"},
     "Erreur : w.csv, ligne 3, colonne 2 (weight) : « lots » n'est pas un nombre ; écrivez un "
     "poids comme 1234 ou 0.25.", "is not a number"),
    (("apportion", "-n", "3", "w.csv"), {"w.csv": "name,weight\nA,1,2\n"},
     "w.csv, ligne 2 : 3 cellules, mais l'en-tête en a 2 ; écrivez un nom et une valeur weight "
     "par ligne (un séparateur de milliers", "cells but"),
    (("apportion", "-n", "3", "w.csv", "--max-file", "m.csv"),
     {"w.csv": "name,weight\nA,1\n", "m.csv": "name,limit\nA,1\n"},
     "m.csv, ligne 1 : l'en-tête doit être name,seats (ou name,max) (trouvé : « name,limit »)",
     "the header must be"),
    (("simulate", "--policy", "nope"), {},
     "Erreur : Il manque --families, --destinations, --scores : donnez les trois fichiers du "
     "flux, ou --from-registry.", "Missing"),
    (("synth", "arrivals", "--families", "10", "--slack", "0", "--out", "x"), {},
     "Erreur : slack : doit être strictement positif (reçu 0.0).", "must be positive"),
    (("synth", "arrivals", "--families", "10", "--monthly", "1,2,3", "--out", "x"), {},
     "Erreur : monthly : donnez douze poids positifs ou nuls (de janvier à décembre), pas tous "
     "nuls.", "twelve non-negative weights"),
    (("simulate", "--families", "f.csv", "--horizon", "soon"), {},
     "--horizon : « soon » n'est pas un nombre de jours (p. ex. 183d ou 26w).", "number of days"),
    (("synth", "members", "--families", "f.csv", "--out", "m.csv"), {"f.csv": "family_id,size\nF1,0\n"},
     "Erreur : f.csv, ligne 2, colonne size : doit être entre 1 et 30.", "must be between"),
    (("synth", "members", "--families", "f.csv", "--out", "m.csv"), {"f.csv": "family_id\nF1\n"},
     "f.csv : colonne(s) manquante(s) size ; un fichier de familles contient family_id,size",
     "missing column"),
    (("keys", "compare", "canada-population"), {},
     "Erreur : Donnez au moins deux clés à comparer", "Give at least"),
    (("decide", "R1", "F1", "maybe", "--reason", "r", "--by", "u"), {},
     "Erreur : « maybe » : la décision est accept (accepter) ou override (passer outre).",
     "the decision is"),
    (("purge", "--as-of", "someday"), {},
     "Erreur : --as-of : « someday » n'est pas une date (AAAA-MM-JJ).", "is not a date"),
    (("pledges", "offers", "--period", "2026", "--expires", "soon", "--out", "o.csv"), {},
     "Erreur : --expires : « soon » n'est pas une date (AAAA-MM-JJ).", "is not a date"),
]


@pytest.mark.parametrize(("args", "files", "french", "english"), REFUSALS,
                         ids=[" ".join(r[0][:2]) + f"-{i}" for i, r in enumerate(REFUSALS)])
def test_refusals_are_french(run_cli, tmp_path: Path, args: tuple[str, ...],
                             files: dict[str, str], french: str, english: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    before = sorted(tmp_path.rglob("*"))
    refused = run_cli(*args, env={**FR, "FAIRSHARE_HOME": str(tmp_path / "var")})
    assert refused.exit_code == 2, refused
    assert french in refused.stderr and english not in refused.stderr
    assert refused.stdout == "" and sorted(tmp_path.rglob("*")) == before  # nothing written
    assert english in run_cli(*args, env={**EN, "FAIRSHARE_HOME": str(tmp_path / "var")}).stderr


def test_a_missing_registry_is_named_in_french(run_cli, tmp_path: Path) -> None:
    env = {"FAIRSHARE_HOME": str(tmp_path / "var"), "FAIRSHARE_DATABASE_URL": ""}
    missing = run_cli("status", env={**env, **FR})
    assert missing.exit_code == 2, missing
    assert (f"Erreur : Aucune base de données fairshare à {tmp_path / 'var' / 'fairshare.sqlite'} "
            f"(FAIRSHARE_HOME={tmp_path / 'var'}) : lancez d'abord `fairshare init`") in missing.stderr
    assert not (tmp_path / "var").exists()
