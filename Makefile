# Defensor — the two commands a new user needs are `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
TEST_DATA_DIR ?= $(CURDIR)/var/test
PYTEST_ARGS ?=

.PHONY: run test check lint typecheck layers migrations-check messages bench clean

$(BIN)/python:
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Defensor needs Python 3.11 or newer (found %s)." % sys.version.split()[0])'
	$(PY) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/defensor serve

test: $(VENV)/.installed-dev
	@mkdir -p $(TEST_DATA_DIR)
	DEFENSOR_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed-dev
	DEFENSOR_DATA_DIR=$(CURDIR)/var/check $(BIN)/mypy

# The apps' layers and "only defensor.keys imports nacl" (pyproject.toml [tool.importlinter]).
layers: $(VENV)/.installed-dev
	$(BIN)/lint-imports --no-cache

migrations-check: $(VENV)/.installed-dev
	DEFENSOR_DATA_DIR=$(CURDIR)/var/check $(BIN)/python manage.py makemigrations --check --dry-run

check: lint typecheck layers migrations-check test

# Extract strings into the catalogues, then compile them (needs GNU gettext).
messages: $(VENV)/.installed-dev
	cd defensor && DEFENSOR_DATA_DIR=$(CURDIR)/var/check ../$(BIN)/django-admin makemessages --settings=config.settings --pythonpath=.. -l ru -l en --no-obsolete --no-location --ignore 'tests/*'
	$(BIN)/python tools/drop_fuzzy.py defensor/locale/ru/LC_MESSAGES/django.po defensor/locale/en/LC_MESSAGES/django.po
	cd defensor && DEFENSOR_DATA_DIR=$(CURDIR)/var/check ../$(BIN)/django-admin compilemessages --settings=config.settings --pythonpath=..

bench: $(VENV)/.installed-dev
	DEFENSOR_DATA_DIR=$(CURDIR)/var/bench $(BIN)/python -m bench

clean:
	rm -rf $(VENV) var/test var/check var/bench
