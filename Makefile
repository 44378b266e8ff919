# Vínculo developer and operator tasks. `make help` lists them.
# The only prerequisites are Python 3.12 and make; everything else is installed into .venv.

SHELL := /bin/bash
PYTHON ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
PYTEST_WORKERS ?= 2

.DEFAULT_GOAL := help
.PHONY: help install demo run test test-sqlite test-postgres check lint format typecheck migrations-check \
        translations translations-check openapi openapi-check clean

help: ## List the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-20s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "Vínculo needs Python 3.12 ($(PYTHON) not found). Install it, or run: make PYTHON=/path/to/python3.12 ..."; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' || { echo "Vínculo needs Python 3.12; $(PYTHON) is $$($(PYTHON) --version)."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install Vínculo with its pinned dependencies
	@$(BIN)/vinculo translations compile

demo: install ## Start a demo network: the hub and three office nodes (GT, SV, HN) on 127.0.0.1
	$(BIN)/vinculo demo_network

run: install ## Run one development node (SV-FGR) on http://127.0.0.1:8000/
	$(BIN)/vinculo migrate --no-input
	$(BIN)/vinculo runserver 127.0.0.1:8000

test: install ## Run every test on SQLite, then on PostgreSQL when it is reachable
	@$(MAKE) --no-print-directory test-sqlite
	@if $(BIN)/python tools/postgres_reachable.py "$(POSTGRES_URL)"; then \
		$(MAKE) --no-print-directory test-postgres; \
	elif [ "$${VINCULO_REQUIRE_POSTGRES:-0}" = "1" ]; then \
		echo "PostgreSQL at $(POSTGRES_URL) is not reachable, and VINCULO_REQUIRE_POSTGRES=1."; exit 1; \
	else \
		echo "PostgreSQL not reachable at $(POSTGRES_URL): ran the SQLite suite only."; \
	fi

test-sqlite: install ## Run the tests on SQLite
	@echo "== tests on SQLite =="
	env -u DATABASE_URL $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-postgres: install ## Run the tests on PostgreSQL ($(POSTGRES_URL))
	@echo "== tests on PostgreSQL =="
	DATABASE_URL=$(POSTGRES_URL) $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

check: lint typecheck migrations-check translations-check openapi-check ## All static checks (lint, types, migrations, translations, OpenAPI)

lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install ## mypy
	$(BIN)/mypy vinculo config

migrations-check: install ## Fail when a model change has no migration
	$(BIN)/vinculo makemigrations --check --dry-run

translations: install ## Extract new strings into locale/es (then translate them) and compile
	$(BIN)/vinculo translations extract
	$(BIN)/vinculo translations compile

translations-check: install ## Fail on strings missing from, or untranslated in, the Spanish catalogue
	$(BIN)/vinculo translations check

openapi: install ## Regenerate docs/openapi.json
	$(BIN)/vinculo export_openapi_schema --api vinculo.api.api.api --indent 2 --sorted --output docs/openapi.json

openapi-check: install ## Fail when docs/openapi.json differs from the code
	@tmp=$$(mktemp); $(BIN)/vinculo export_openapi_schema --api vinculo.api.api.api --indent 2 --sorted --output $$tmp; \
	if diff -u docs/openapi.json $$tmp; then rm -f $$tmp; echo "OpenAPI schema is up to date."; \
	else rm -f $$tmp; echo "docs/openapi.json is stale: run make openapi and commit it."; exit 1; fi

.PHONY: bench-peers-install
bench-peers-install: install ## Install the quality benchmark's peers (Splink, recordlinkage, clkhash, anonlink) into .venv
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt \
		-r <(grep -v -- '# no-deps' benchmarks/requirements-peers.txt)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps \
		$$(grep -- '# no-deps' benchmarks/requirements-peers.txt | cut -d' ' -f1)

clean: ## Remove the virtual environment and local data (var/)
	rm -rf $(VENV) var
