# The few verbs everyone uses; CI runs `make test` through .ci/run.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: start test lint typecheck unit bench clean sandbox

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Nexora needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python sandbox
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## sandbox: install bubblewrap (Debian/Ubuntu, as root or with password-less sudo) so shell
## and Python tools run isolated; without it they run under resource limits only, and
## `nexora doctor` says so.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  if command -v apt-get >/dev/null 2>&1 && { [ -z "$$SUDO" ] || sudo -n true 2>/dev/null; }; then \
	    $$SUDO apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
	      || { $$SUDO apt-get update -qq >/dev/null 2>&1 && $$SUDO apt-get install -y -qq bubblewrap >/dev/null 2>&1; } \
	      || echo "bubblewrap: apt-get install failed; tools will run under resource limits only"; \
	  else \
	    echo "bubblewrap not installed (needs apt-get and root); tools will run under resource limits only"; \
	  fi; }

## start: install, initialise the data dir (printing the admin password once) and serve
start: $(STAMP)
	$(BIN)/nexora init
	$(BIN)/nexora serve

## test: lint, type-check and run the whole suite on SQLite and PostgreSQL
test: lint typecheck
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

bench: $(STAMP)
	$(BIN)/python bench/startup.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
