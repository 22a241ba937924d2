.DEFAULT_GOAL := help
.PHONY: help venv test test-fast lint demo bench-render clean

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Parallel pytest workers; the suite is sized for two cores.
JOBS ?= 2
DEMO_DIR ?= build/demo
DEMO_SERVE ?= 1
DEMO_PORT ?= 8000

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-10s %s\n", $$1, $$2}'

venv: $(BIN)/.installed ## Build the tooling environment (.venv) from pyproject.toml

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==0.13.8
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r pyproject.toml
	touch $@

test: venv ## Run the whole template suite
	$(BIN)/pytest -n $(JOBS) --dist loadfile

test-fast: venv ## The quick inner loop: everything but installs and live services
	$(BIN)/pytest -n $(JOBS) --dist loadfile -m "not slow"

lint: venv ## ruff on the template's own code (hooks, tests, bench)
	$(BIN)/ruff check hooks tests bench
	$(BIN)/ruff format --check hooks tests bench

demo: venv ## Render a default project into build/demo, install, migrate, serve on :8000
	rm -rf $(DEMO_DIR)
	$(BIN)/cookiecutter --no-input --output-dir $(DEMO_DIR) .
	cd $(DEMO_DIR)/acme_portal && PATH="$(abspath $(BIN)):$$PATH" $(MAKE) install
	cd $(DEMO_DIR)/acme_portal && .venv/bin/python manage.py migrate
ifeq ($(DEMO_SERVE),1)
	cd $(DEMO_DIR)/acme_portal && .venv/bin/python manage.py runserver 127.0.0.1:$(DEMO_PORT)
endif

bench-render: venv ## Print render, install and rendered-test times and the size of a default render
	$(BIN)/python tests/bench_render.py

# Keel's stack against a bare startproject app (needs PostgreSQL, nginx and wrk; see bench/run.py).
.PHONY: bench
bench: venv ## Benchmark the deployed stack (req/s, p50, p99) against a bare Django app
	$(BIN)/python bench/run.py

clean: ## Remove the tooling environment and build output
	rm -rf $(VENV) build .pytest_cache
