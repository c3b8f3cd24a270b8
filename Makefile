# The human entry points. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install run test lint format pytest bench lock translations system-packages clean help

help:
	@echo "make run      set up (if needed) and serve ecase on http://127.0.0.1:$${ECASE_PORT:-5000}"
	@echo "make test     set up (if needed) and run lint, type checks, import contracts and all tests"
	@echo "make bench    run the benchmarks in bench/"
	@echo "make lock     re-resolve requirements.lock from setup.cfg"

system-packages:
	@ECASE_BROWSER_TESTS=$(BROWSER) scripts/ensure-system-packages.sh

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ecase needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python setup.cfg pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: BROWSER ?= 0
install: system-packages $(STAMP)

run: BROWSER ?= 0
run: system-packages $(STAMP)
	$(BIN)/ecase init
	$(BIN)/ecase serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

pytest: $(STAMP)
	$(BIN)/pytest --cov --cov-report=term $(PYTEST_ARGS)

test: BROWSER ?= 1
test: system-packages $(STAMP) lint pytest

bench: BROWSER ?= 0
bench: system-packages $(STAMP)
	$(BIN)/python bench/run.py

lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip freeze --exclude-editable --all | grep -v -E '^(pip|setuptools|wheel)==' > requirements.lock

# Extract UI strings, merge them into the German catalogue, compile it (the .mo is committed).
# New strings arrive empty (no fuzzy guesses, which compile would skip) and strings no longer
# used are dropped, so tests/unit/test_translations.py names exactly what is left to translate.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -o ecase/translations/messages.pot ecase
	$(BIN)/pybabel update -i ecase/translations/messages.pot -d ecase/translations -l de \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d ecase/translations

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage* htmlcov
