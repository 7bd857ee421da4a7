# The few commands a person types. `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
HOST ?= 127.0.0.1
WORKERS ?= 3
VENV := .venv
BIN := $(VENV)/bin

# The first Python >= 3.12 on PATH (or under pyenv), unless PYTHON is given.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3 $$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null); do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo $$p; break; fi; done)

.PHONY: help install install-dev run serve test lint format bench loadtest clean screenshots

help:
	@echo "make run    set up everything and serve on http://$(HOST):$(PORT) (SQLite unless DATABASE_URL)"
	@echo "make test   run the whole test suite (PostgreSQL too when DATABASE_URL points to one)"
	@echo "make lint   ruff check and format check"
	@echo "make bench  benchmarks on the local PostgreSQL"
	@echo "make loadtest  durability under a worker kill, a PostgreSQL outage and a crowd (own cluster on :5433)"
	@echo "make screenshots  regenerate docs/screenshots in Chromium"

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then echo "This project needs Python 3.12 or newer on PATH (or PYTHON=/path/to/python3.12)." >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

# Test and benchmark tools (chDB alone is ~500 MB) come only with the targets that use them,
# so `make run` on a fresh clone installs what serving needs and no more.
$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/python manage.py bootstrap --url http://$(HOST):$(PORT)
	@# The export worker and upkeep (usage counters, chart rollups) run beside gunicorn and stop with it.
	$(BIN)/python manage.py db_worker & worker=$$!; \
	$(BIN)/python manage.py maintain --every 30 & maintain=$$!; \
	trap 'kill $$worker $$maintain 2>/dev/null; wait $$worker $$maintain' EXIT; \
	$(BIN)/gunicorn project.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) --timeout 120

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Not part of `make test`: it stops and starts a PostgreSQL cluster of its own (15/loadtest on
# port 5433, created on first use), never the machine's other servers. See docs/operations.md.
loadtest: install-dev
	$(BIN)/python bench/loadtest.py $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache

# Regenerates docs/screenshots/*.png from seeded data in Debian's Chromium.
screenshots: install-dev
	LOGSTORE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/web/browser -k screenshots

# Benchmarks on the local PostgreSQL (BENCH_ARGS="--ten-million" for 10M rows): see docs/benchmarks.md.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432
BENCH_PORT ?= 8106
bench: install-dev
	$(BIN)/python -W ignore::UserWarning -m bench.run --server-url $(BENCH_DATABASE_URL) --port $(BENCH_PORT) --workers $(WORKERS) $(BENCH_ARGS)
