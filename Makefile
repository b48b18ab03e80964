# The only commands a newcomer needs. `make run` and `make test` set everything up themselves.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test lint typecheck bench audit sbom messages setup test-setup clean help

help:
	@echo "make run        set up and start fairshare on the embedded defaults (PORT=8000)"
	@echo "make test       set up and run the whole test suite"
	@echo "make lint       ruff"
	@echo "make typecheck  mypy --strict"
	@echo "make bench      benchmarks (ratios against baselines measured in the same run)"
	@echo "make audit      pip-audit of the installed dependencies (fails if no database was reached)"
	@echo "make sbom       CycloneDX SBOM of the environment in build/sbom.json"
	@echo "make messages   extract messages, update the en/fr catalogues, compile them (docs/contributing.md)"

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11+ is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Each script in scripts/setup.d installs or starts something the tests need (PostgreSQL,
# Chromium, bundled JavaScript for the accessibility checks); each is idempotent.
test-setup: setup
	@for s in scripts/setup.d/*.sh; do [ -e "$$s" ] || continue; echo "== $$s"; bash "$$s" || exit 1; done

run: setup
	$(BIN)/fairshare run-default
	$(BIN)/fairshare serve --demo --port $(PORT)

test: test-setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/bandit -q -r src -c pyproject.toml
	$(BIN)/python -m pytest -q -p no:cacheprovider --timeout=900 -n auto

lint: setup
	$(BIN)/ruff check src tests benchmarks

typecheck: setup
	$(BIN)/mypy

bench: test-setup
	$(BIN)/python -m benchmarks

# Exit 0 only when every dependency was looked up; 3 when the vulnerability database could
# not be reached (nothing is then claimed), 1 when a vulnerability is known.
audit: setup
	$(BIN)/python scripts/audit.py

sbom: setup
	mkdir -p build
	$(BIN)/cyclonedx-py environment --of JSON -o build/sbom.json $(BIN)/python
	@echo "wrote build/sbom.json"

# Translations (docs/contributing.md): extract every t("key") / msg("key") / N_("key") of the
# code and templates, add new keys to both catalogues (fill their English and French text),
# then compile the .mo files that ship in the package.
LOCALE := src/fairshare/locale
KEYWORDS := -k t -k msg -k N_ -k gettext
messages: setup
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg $(KEYWORDS) --add-location=file --sort-output \
	  --project=fairshare -o build/fairshare.pot .
	$(BIN)/pybabel update -i build/fairshare.pot -d $(LOCALE) -D fairshare --no-fuzzy-matching \
	  --width=100
	$(BIN)/pybabel compile -d $(LOCALE) -D fairshare --statistics

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache
