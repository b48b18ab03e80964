"""Service and engine refusals in the reader's language (issue 14): the CLI writes them in French
for ``FAIRSHARE_LANG=fr``, the API for ``Accept-Language: fr``; English stays what it was (the
sentences docs and other tests quote)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import registry_fixtures as rf
from fairshare.errors import InputError, KeyDefinitionError
from fairshare.keys.model import parse_key
from fairshare.members_synth import synth_members
from fairshare.service import Context
from test_demo_isolation import _env, _real_home

sqlite_registry = rf.sqlite_registry

FR = {"FAIRSHARE_LANG": "fr"}
EN = {"FAIRSHARE_LANG": "en"}

KEY = """id: two-parts
label: Two parts
references:
  - title: A source
    url: https://example.org
versions:
  - effective: "2025-01-01"
    components:
      - indicator: population
        weight: 0.5
      - indicator: gdp
        weight: 0.4
"""


def _key(tmp_path: Path, text: str = KEY) -> Path:
    path = tmp_path / "key.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_key_file_error_names_its_place_in_both_languages(tmp_path: Path) -> None:
    path = _key(tmp_path)
    with pytest.raises(KeyDefinitionError) as caught:
        parse_key(path)
    # the sentence docs/keys.md quotes, and its French with French numbers
    assert str(caught.value) == f"{path}, version 1: the weights sum to 0.9 (0.5 + 0.4); they must sum to 1."
    assert caught.value.text("fr") == (f"{path}, version 1 : la somme des poids vaut 0,9 "
                                       "(0,5 + 0,4) ; elle doit valoir 1.")
    bad = _key(tmp_path, KEY.replace("weight: 0.4", "weight: 0.5\n        transform: cube"))
    with pytest.raises(KeyDefinitionError) as caught:
        parse_key(bad)
    assert caught.value.text("en") == (f"{bad}, version 1, component 2: transform 'cube' is "
                                       "unknown; use one of share, inverse, fixed.")
    assert caught.value.text("fr") == (f"{bad}, version 1, composante 2 : la transformation "
                                       "« cube » est inconnue ; utilisez l'une de share, inverse, "
                                       "fixed.")


def test_engine_refusals_of_charts_analysis_and_synthesis(run_cli: Callable[..., Any],
                                                         tmp_path: Path) -> None:
    cases = [(("balance", "--key", "canada-population", "--plot", "x.gif"),
              "x.gif: unsupported chart format '.gif'; use ",
              "x.gif : format de graphique « .gif » non pris en charge ; utilisez "),
             (("balance", "--key", "canada-population", "--total-basis", "bogus"),
              "--total-basis 'bogus': use one of ",
              "--total-basis « bogus » : utilisez l'une des valeurs "),
             (("shares", "--key", str(_key(tmp_path)), "--total", "10"),
              "the weights sum to 0.9 (0.5 + 0.4)", "la somme des poids vaut 0,9 (0,5 + 0,4)")]
    for args, english, french in cases:
        en, fr = run_cli(*args, env=EN), run_cli(*args, env=FR)
        assert en.exit_code == fr.exit_code == 2, (en, fr)
        assert english in en.stderr and french in fr.stderr, (en.stderr, fr.stderr)
        assert "Traceback" not in fr.stderr
    with pytest.raises(InputError) as caught:
        synth_members([("F1", 2), ("F2", 0)], seed=1)
    assert str(caught.value) == "family F2: size 0 must be at least 1."
    assert caught.value.text("fr") == "famille F2 : la taille 0 doit valoir au moins 1."


def test_registry_refusals_via_the_cli_in_french(run_cli: Callable[..., Any],
                                                tmp_path: Path) -> None:
    env = {"FAIRSHARE_HOME": str(tmp_path / "var"), "FAIRSHARE_USER": "cli-tester",
           "FAIRSHARE_DATABASE_URL": ""}
    assert run_cli("init", env=env).exit_code == 0
    consent = ("consent", "withdraw", "nobody")
    en, fr = run_cli(*consent, env={**env, **EN}), run_cli(*consent, env={**env, **FR})
    assert en.exit_code == fr.exit_code == 2
    assert "No claimant or family with id 'nobody' (pass the partner's id" in en.stderr
    assert ("Erreur : Aucun demandeur ni aucune famille d'identifiant « nobody » (indiquez "
            "l'identifiant du partenaire") in fr.stderr
    files = {"--families": "family_id,size,consent\na,1,true\n",
             "--destinations": "code,capacity\nNB,2\n",
             "--scores": "family_id,destination,score\na,NB,0.5\n"}
    batch = []
    for option, text in files.items():
        path = tmp_path / f"{option.strip('-')}.csv"
        path.write_text(text, encoding="utf-8")
        batch += [option, str(path)]
    fr = run_cli("match", *batch, "--policy", "nope", env=FR)
    assert fr.exit_code == 2, fr
    assert "La politique « nope » n'est ni une politique prédéfinie (" in fr.stderr
    assert "neither a preset" not in fr.stderr


def test_the_demo_refuses_a_real_home_in_french(run_cli: Callable[..., Any],
                                                tmp_path: Path) -> None:
    home = _real_home(tmp_path)
    result = run_cli("serve", "--demo", "--port", "1",
                     env=_env(home, FAIRSHARE_DEMO_HOME=str(home), **FR))
    assert result.exit_code == 2, result
    assert "ce dossier contient des données que `serve --demo` n'a pas créées" in result.stderr
    assert "  - agreements : 1" in result.stderr and "did not create" not in result.stderr


def test_api_problems_follow_accept_language(tmp_path: Path) -> None:
    from webapp_helpers import seeded_app

    app = seeded_app(tmp_path, families=4)
    fr = {"Accept-Language": "fr-CA"}

    def message(response: Any, status: int) -> str:
        assert response.status_code == status, response.text
        return str(response.json()["error"]["message"])

    coordinator = app.auth("coordinator")
    none = "J" + "0" * 32
    job = f"/api/v1/jobs/{none}"
    assert message(app.client.get(job, headers=coordinator), 404) == f"No job '{none}'."
    assert message(app.client.get(job, headers={**coordinator, **fr}), 404) == f"Aucune tâche « {none} »."
    consent = "/api/v1/claimants/nobody/consent"
    refused = app.client.post(consent, json={"state": "withdrawn"}, headers={**coordinator, **fr})
    assert message(refused, 404).startswith("Aucun demandeur ni aucune famille d'identifiant "
                                            "« nobody »")
    denied = app.client.post(consent, json={"state": "withdrawn"},
                             headers={**app.auth("auditor"), **fr})
    assert message(denied, 403) == "Le rôle « auditor » ne permet pas l'action « record consent »."
    assert message(app.client.get(job), 401).startswith("Authentication required: send")
    assert message(app.client.get(job, headers=fr), 401).startswith("Authentification requise")
    malformed = app.client.get(job, headers={"Authorization": "Basic x", **fr})
    assert message(malformed, 401) == "En-tête Authorization mal formé : utilisez « Bearer <jeton> »."
    wrong = app.client.get(job, headers={"Authorization": "Bearer not-a-token-at-all"})
    assert message(wrong, 401) == "Invalid, expired or revoked API token."
    app.client.close()


def test_a_bad_key_of_the_ledger_keeps_the_key_files_message(sqlite_registry: Context) -> None:
    from fairshare.service.ledger import surplus_by_code
    from fairshare.store.engine import read_transaction

    with read_transaction(sqlite_registry.engine) as conn, pytest.raises(InputError) as caught:
        surplus_by_code(conn, sqlite_registry, key="nope")
    assert str(caught.value).startswith("--key 'nope': Unknown key 'nope'. Presets: ")
    assert caught.value.text("fr").startswith("--key « nope » : Clé inconnue « nope ». ")
