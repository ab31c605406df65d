# The few verbs everyone uses; CI runs `make test` through .ci/run.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: start test lint typecheck unit bench clean sandbox browser console console-check api-client

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

## browser: install Debian's Chromium for the console's end-to-end tests (root or password-less
## sudo); without it those tests are skipped locally and fail in CI.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  if command -v apt-get >/dev/null 2>&1 && { [ -z "$$SUDO" ] || sudo -n true 2>/dev/null; }; then \
	    $$SUDO apt-get install -y -qq chromium >/dev/null 2>&1 \
	      || { $$SUDO apt-get update -qq >/dev/null 2>&1 && $$SUDO apt-get install -y -qq chromium >/dev/null 2>&1; } \
	      || echo "chromium: apt-get install failed; the console's browser tests will not run"; \
	  else \
	    echo "chromium not installed (needs apt-get and root); the console's browser tests will not run"; \
	  fi; }

## console: build the web console into the Python package (src/nexora/console_dist), only when
## its sources changed since the last build; needs Node.js 20+ (an installed package does not)
CONSOLE_SRC   := $(shell find console/src console/public -type f 2>/dev/null) \
                 $(wildcard console/*.json console/*.ts console/*.js console/*.cjs console/index.html)
CONSOLE_BUILD := src/nexora/console_dist/index.html

# `npm install` on the committed lock (it leaves the lock as it is): this npm writes locks
# without other platforms' optional packages, which `npm ci` then refuses as out of sync.
console/node_modules/.package-lock.json: console/package-lock.json
	cd console && npm install --no-audit --no-fund --loglevel=error

$(CONSOLE_BUILD): console/node_modules/.package-lock.json $(CONSOLE_SRC)
	cd console && npm run --silent build

console: $(CONSOLE_BUILD)

## console-check: the console's type check and lint
console-check: console/node_modules/.package-lock.json
	cd console && npm run --silent typecheck && npm run --silent lint

## api-client: regenerate the console's typed API client from the server's OpenAPI document
api-client: $(STAMP) console/node_modules/.package-lock.json
	$(BIN)/python scripts/dump_openapi.py console/openapi.json
	cd console && npx openapi-typescript openapi.json -o src/api/schema.d.ts && rm openapi.json

## start: install, initialise the data dir (printing the admin password once) and serve
start: $(STAMP) console
	$(BIN)/nexora init
	$(BIN)/nexora serve

## test: lint, type-check and run the whole suite on SQLite and PostgreSQL
test: lint typecheck console-check console browser
	$(BIN)/pytest -q -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

bench: $(STAMP)
	$(BIN)/python bench/startup.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
