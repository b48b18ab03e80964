"""The one translation mechanism: complete catalogues, extraction that finds every key, compiled
catalogues that match their sources, Babel's number formats, translated errors in every shell."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from fairshare import i18n
from fairshare.errors import ConflictError, NotFoundError

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"t": None, "msg": None, "N_": None, "gettext": None}


def _po(lang: str) -> Catalog:
    path = i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "fairshare.po"
    with path.open("rb") as handle:
        return read_po(handle)


def test_every_message_has_an_english_and_a_french_text() -> None:
    en, fr = _po("en"), _po("fr")
    en_ids = {m.id for m in en if m.id}
    fr_ids = {m.id for m in fr if m.id}
    assert en_ids == fr_ids
    empty = [(lang, m.id) for lang, cat in (("en", en), ("fr", fr)) for m in cat
             if m.id and (not m.string or m.fuzzy)]
    assert not empty
    assert len(en_ids) > 250


def test_placeholders_agree_between_languages() -> None:
    en, fr = i18n.catalogue("en"), i18n.catalogue("fr")
    wrong = [k for k in en
             if set(re.findall(r"\{(\w+)\}", en[k])) != set(re.findall(r"\{(\w+)\}", fr[k]))]
    assert not wrong


def test_extraction_finds_every_key_and_every_key_is_catalogued() -> None:
    """`make messages` neither drops a key (it would become obsolete) nor leaves one out."""
    method_map = [("src/fairshare/**.py", "python"),
                  ("src/fairshare/web/templates/**.html", "jinja2")]
    options = {"src/fairshare/web/templates/**.html": {"trim_blocks": "true",
                                                        "lstrip_blocks": "true"}}
    found = {str(m[2] if isinstance(m[2], str) else m[2][0])
             for m in extract_from_dir(str(ROOT), method_map, options, keywords=KEYWORDS)}
    catalogued = {m.id for m in _po("en") if m.id}
    assert catalogued - found == set(), "keys no code uses (or built at run time without N_)"
    assert found - catalogued == set(), "keys the code uses that the catalogues lack"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_compiled_catalogues_match_their_sources(lang: str) -> None:
    """The committed .mo is what `make messages` compiles from the .po (never stale)."""
    po = _po(lang)
    mo_path = i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "fairshare.mo"
    with mo_path.open("rb") as handle:
        mo = read_mo(handle)
    assert {m.id: m.string for m in mo if m.id} == {m.id: m.string for m in po if m.id}
    fresh = io.BytesIO()
    write_mo(fresh, po)
    assert fresh.getvalue() == mo_path.read_bytes()


def test_numbers_dates_and_money_follow_babel() -> None:
    from babel.numbers import format_decimal

    assert i18n.number(38663, 0, "fr") == format_decimal(38663, locale="fr_CA") == "38\u00a0663"
    assert i18n.number(0.6894, 3, "fr") == "0,689" and i18n.number(0.6894, 3, "en") == "0.689"
    assert i18n.number(1800, 0, "en") == "1,800"
    assert i18n.percent(0.5, 0, "fr") == "50\u00a0%" and i18n.percent(0.5, 0, "en") == "50%"
    assert i18n.currency(12.5, lang="fr") == "12,50\u00a0$"
    assert i18n.date("2026-03-01", "fr") == "1 mars 2026"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_numbers_are_what_babel_formats_to_the_last_character(lang: str) -> None:
    import random
    from decimal import Decimal

    rng = random.Random(13)
    values: list[float | int | Decimal] = [
        0, 0.0, 0.5, 1.5, 2.5, -2.5, 2.675, 0.125, 0.0005, -0.0004, 999.9995, 1e15,
        -1234567.891, 10**20, -7, Decimal("1.2345678901234567890123456789"),
        float("inf"), -float("inf")]
    values += [rng.uniform(-1e6, 1e6) for _ in range(2000)] + [rng.random() for _ in range(2000)]
    values += [rng.randint(-10**7, 10**7) for _ in range(500)]
    for value in values:
        exact = value if isinstance(value, Decimal) else Decimal(str(value))
        for digits in range(5):
            assert i18n.number(value, digits, lang) == i18n.babel_number(exact, digits, lang), (
                value, digits)
    # NaN is no number (Babel would print "NaN,000" in French): the dash of a missing value
    assert {i18n.number(float("nan"), d, lang) for d in range(5)} == {i18n.MISSING}


def test_language_from_the_environment() -> None:
    assert i18n.from_environment({"FAIRSHARE_LANG": "fr"}) == "fr"
    assert i18n.from_environment({"LC_ALL": "fr_CA.UTF-8", "LANG": "en_CA.UTF-8"}) == "fr"
    assert i18n.from_environment({"LANG": "C.UTF-8"}) == "en"


def test_service_errors_carry_a_message_translated_by_the_shell() -> None:
    err = ConflictError(i18n.msg("error_no_capacity", code="YT", size=4))
    assert err.message.startswith("No capacity left in YT for a family of 4")
    assert err.text("fr").startswith("Plus de capacité dans YT pour une famille de 4")
    nested = ConflictError(i18n.msg("error_decided_again", family="F1", run="R1",
                                    status=i18n.msg("rec_accepted")))
    assert "acceptée" in nested.text("fr") and "accepted" in str(nested)
    plain = NotFoundError("a message without a key")
    assert plain.text("fr") == "a message without a key"


def test_api_errors_follow_accept_language(tmp_path: Path) -> None:
    from webapp_helpers import seeded_app

    app = seeded_app(tmp_path, families=4)
    h = app.auth("coordinator")
    en = app.client.get("/api/v1/runs/R99999", headers=h).json()["error"]["message"]
    fr = app.client.get("/api/v1/runs/R99999", headers={**h, "Accept-Language": "fr-CA"})
    assert en == "No run 'R99999'."
    assert fr.json()["error"]["message"] == "Aucun appariement « R99999 »."
    app.client.close()


def test_cli_errors_follow_fairshare_lang(run_cli, tmp_path: Path) -> None:
    env = {"FAIRSHARE_HOME": str(tmp_path / "var"), "FAIRSHARE_USER": "cli-tester",
           "FAIRSHARE_DATABASE_URL": ""}
    assert run_cli("init", env=env).exit_code == 0
    english = run_cli("explain", "R99999", "F1", "--by", "someone", env=env)
    french = run_cli("explain", "R99999", "F1", "--by", "someone",
                     env={**env, "FAIRSHARE_LANG": "fr"})
    assert english.exit_code == french.exit_code == 2
    assert "Error: Run 'R99999' has no recommendation for family 'F1'." in english.stderr
    assert "Erreur : L'appariement « R99999 » n'a aucune recommandation" in french.stderr


def test_account_price_and_retention_errors_follow_fairshare_lang(run_cli, tmp_path: Path) -> None:
    """Service errors of accounts, prices and retention carry catalogue keys: French with
    FAIRSHARE_LANG=fr, the same English as before otherwise."""
    env = {"FAIRSHARE_HOME": str(tmp_path / "var"), "FAIRSHARE_USER": "cli-tester",
           "FAIRSHARE_DATABASE_URL": ""}
    fr = {**env, "FAIRSHARE_LANG": "fr"}
    assert run_cli("init", env=env).exit_code == 0
    cases = [(("tokens", "create", "etl", "--name", "loader"), "No user named 'etl'",
              "Aucun utilisateur nommé « etl »"),
             (("purge", "--as-of", "2999-01-01"), "--as-of 2999-01-01 is in the future",
              "--as-of 2999-01-01 est dans le futur"),
             (("prices", "update", "--horizon", "0"), "--horizon '0': write a whole number",
              "--horizon « 0 » : écrivez un nombre entier")]
    for args, english, french in cases:
        en_run, fr_run = run_cli(*args, env=env), run_cli(*args, env=fr)
        assert en_run.exit_code == fr_run.exit_code == 2, (en_run, fr_run)
        assert english in en_run.stderr and french in fr_run.stderr, (en_run, fr_run)


def test_cli_help_texts_go_through_the_catalogue() -> None:
    """No `help="..."` literal and no command docstring in the CLI: every help text is a
    catalogue key (`HELP.t("cli_help_...")`), so `FAIRSHARE_LANG=fr fairshare X --help` is French."""
    import ast

    literal, documented = [], []
    for path in sorted((ROOT / "src" / "fairshare" / "cli").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "help" and not (
                    isinstance(node.value, ast.Name)  # a module constant (apportion's methods)
                    or (isinstance(node.value, ast.Call)
                    and getattr(node.value.func, "attr", "") == "t")):
                literal.append(f"{path.name}:{node.value.lineno}")
            if isinstance(node, ast.FunctionDef) and ast.get_docstring(node) and any(
                    isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "command"
                    and not any(k.arg == "hidden" for k in d.keywords)
                    for d in node.decorator_list):
                documented.append(f"{path.name}:{node.name}")
    assert literal == [], "help texts outside the catalogue"
    assert documented == [], "command docstrings (Typer would show them, in English)"


# CLI words that French writes as English does (codes, a destination, Typer's "Options", a
# value beside its problem in brackets).
SAME_IN_FRENCH = {"cli_col_action", "cli_col_active", "cli_col_code", "cli_col_destination",
                  "cli_col_id", "cli_col_max", "cli_col_min", "cli_col_note", "cli_col_plan",
                  "cli_col_source", "cli_col_violations", "cli_help_assign_to",
                  "cli_help_audit_show_entity_type", "cli_typer_arguments", "cli_typer_options",
                  "cli_model_field_destinations", "cli_click_value_problem"}


def test_cli_words_are_translated_not_copied() -> None:
    """Every CLI help text, table title, column header and `synth` line has a French text of
    its own (an English text left in the French catalogue would pass the completeness test)."""
    en, fr = i18n.catalogue("en"), i18n.catalogue("fr")
    prefixes = ("cli_help_", "cli_opt_", "cli_typer_", "cli_click_", "cli_col_", "cli_title_",
                "cli_caption_", "cli_wrote_", "cli_progress_", "cli_phase_", "cli_entity_",
                "cli_model_")
    keys = [k for k in en if k.startswith(prefixes)]
    assert len(keys) > 400
    assert sorted(k for k in keys if fr[k] == en[k] and k not in SAME_IN_FRENCH) == []
