# Two commands: `make run` serves the API on the embedded profile, `make test` runs every test.
# Needs only Python 3.11+ and make: uv (pinned) is bootstrapped into .tools/, and the locked
# dependencies (uv.lock) are installed into .venv/.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench install clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	UV_PYTHON_DOWNLOADS=never $(UV) sync --frozen --python "$$(command -v $(PYTHON))"
	@touch $@

install: $(VENV)/.synced

run: install
	$(BIN)/healthcare serve

test: install
	PYTHONPATH=src $(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	PYTHONPATH=src $(BIN)/lint-imports

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install
	$(BIN)/python bench/asgi_servers.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/cache.py
	$(BIN)/python bench/booking.py
	$(BIN)/python bench/messaging.py
	$(BIN)/python bench/http_bench.py

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache

.PHONY: chaos
# The fault scenarios of RELIABILITY.md against the real processes (needs PostgreSQL and
# redis-server; about 8 minutes). `make chaos CHAOS_ARGS=--quick` runs the CI sizes.
chaos: install
	$(BIN)/python -m bench.chaos.run $(CHAOS_ARGS)

.PHONY: docs-check
# The OpenAPI docs page in headless Chromium (Debian's chromium package; not part of `make test`).
docs-check: install
	npm ci --prefix .ci/docs_check --no-audit --no-fund
	PYTHONPATH=src $(BIN)/python .ci/docs_check.py var/docs-check.png
