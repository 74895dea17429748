# Jumin: every target people run is the one CI runs (.ci/run calls `make test`).
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup demo test lint fmt typecheck contracts migrations-check test-sqlite test-postgres bench certificate-samples clean

help: ## List every target
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

setup: ## Install Debian packages, .venv and Python packages (idempotent)
	@bash tools/setup.sh

demo: setup ## Start the demo federation: national, 長崎県, 佐世保市, 長崎市 (ARGS=--residents N …); MUNICIPALITY=code: one municipality node only
	$(BIN)/jumin demo $(if $(MUNICIPALITY),--municipality $(MUNICIPALITY),--federation) $(ARGS)

test: setup lint typecheck contracts migrations-check test-sqlite test-postgres ## Lint, types, contracts, migrations, tests on SQLite and PostgreSQL

lint: setup ## ruff lint and format check
	$(BIN)/ruff check src tests tools
	$(BIN)/ruff format --check src tests tools

fmt: setup ## Format and auto-fix with ruff
	$(BIN)/ruff format src tests tools
	$(BIN)/ruff check --fix src tests tools

typecheck: setup ## mypy with django-stubs (strict for jumin.domain)
	$(BIN)/mypy src

contracts: setup ## import-linter contracts (architecture.md §3)
	$(BIN)/lint-imports

migrations-check: setup ## Models and migrations never drift
	JUMIN_DEMO=1 $(PY) manage.py makemigrations --check --dry-run

test-sqlite: setup ## The whole test suite on SQLite
	$(PY) -m pytest -q -p no:cacheprovider

test-postgres: setup ## The whole test suite on a throwaway PostgreSQL cluster
	$(PY) tools/throwaway_postgres.py -- $(PY) -m pytest -q -p no:cacheprovider

certificate-samples: setup ## One sample page of each certificate and notice (synthetic data) to docs/certificates/*.png
	JUMIN_DEMO=1 $(BIN)/jumin certificates samples --out docs/certificates

RESIDENTS ?= 1000000
bench: setup ## Benchmarks (performance.md) on SQLite and PostgreSQL; RESIDENTS=N (default 1,000,000)
	$(BIN)/jumin bench --residents $(RESIDENTS) --json var/bench-sqlite.json
	$(PY) tools/throwaway_postgres.py -- $(BIN)/jumin bench --residents $(RESIDENTS) --json var/bench-postgres.json

clean: ## Remove the venv and local databases
	rm -rf $(VENV) var/*.sqlite3* var/demo
