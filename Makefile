.DEFAULT_GOAL := help
.PHONY: help venv test test-fast test-slow lint lock docs demo bench-render bench-stack bench-celery bench-multihost bench-query-budgets clean

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Parallel pytest workers; the suite is sized for two cores.
JOBS ?= 2
DEMO_DIR ?= build/demo
DEMO_SERVE ?= 1
DEMO_PORT ?= 8000
# FRESH=1 deletes an existing demo (its database and any edits) and renders a new one.
FRESH ?= 0
# DEMO_ADMIN=1 creates a superuser `demo` with the password `demo`, for this local demo only.
DEMO_ADMIN ?= 0
DEMO_PROJECT := $(DEMO_DIR)/acme_portal

help: ## List the commands
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {name[++n] = $$1; text[n] = $$2; \
		if (length($$1) > width) width = length($$1)} \
		END {for (i = 1; i <= n; i++) printf "  %-" width "s  %s\n", name[i], text[i]}' $(MAKEFILE_LIST)

venv: $(BIN)/.installed ## Build the tooling environment (.venv) from pyproject.toml

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==0.13.8
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r pyproject.toml
	touch $@

test: venv ## Run the whole template suite
	$(BIN)/pytest -n $(JOBS) --dist loadfile --durations=30

test-fast: venv ## The quick inner loop: no installs, no live services, the covering set rendered
	$(BIN)/pytest -n $(JOBS) --dist loadfile -m "not slow" --combinations=covering

test-slow: venv ## Only what installs projects or runs services (PostgreSQL, Redis, nginx, ...)
	$(BIN)/pytest -n $(JOBS) --dist loadfile -m slow

lint: venv ## ruff on the template's own code (hooks, tests, bench)
	$(BIN)/ruff check hooks tests bench
	$(BIN)/ruff format --check hooks tests bench

lock: venv ## Re-resolve the rendered project's requirements.txt after changing one of its pins
	$(BIN)/python -m tests.lock

docs: venv ## Serve the template's docs on http://127.0.0.1:8001
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8001

demo: venv ## Render a default project into build/demo (FRESH=1 starts over), install, migrate, serve
ifeq ($(FRESH),1)
	rm -rf $(DEMO_DIR)
endif
	@if [ -d $(DEMO_PROJECT) ]; then \
		echo "Keeping the demo in $(DEMO_PROJECT), its database and edits (FRESH=1 starts over)."; \
	else \
		$(BIN)/cookiecutter --no-input --output-dir $(DEMO_DIR) .; \
	fi
	cd $(DEMO_PROJECT) && PATH="$(abspath $(BIN)):$$PATH" $(MAKE) install
	cd $(DEMO_PROJECT) && .venv/bin/python manage.py migrate
ifeq ($(DEMO_ADMIN),1)
	cd $(DEMO_PROJECT) && .venv/bin/python manage.py shell --no-imports -c "$$DEMO_SUPERUSER"
	@echo "Sign in at http://127.0.0.1:$(DEMO_PORT)/admin/ as demo, password demo."
else
	@echo "To sign in, create an account: cd $(DEMO_PROJECT) && .venv/bin/python manage.py createsuperuser"
	@echo "(or run make demo DEMO_ADMIN=1 for a local superuser demo, password demo)."
endif
ifeq ($(DEMO_SERVE),1)
	cd $(DEMO_PROJECT) && .venv/bin/python manage.py runserver 127.0.0.1:$(DEMO_PORT)
endif

define DEMO_SUPERUSER
from django.contrib.auth import get_user_model
User = get_user_model()
if not User.objects.filter(username="demo").exists():
    User.objects.create_superuser("demo", "demo@example.com", "demo")
endef
export DEMO_SUPERUSER

# Benchmarks print figures; they never fail on speed. Each renders and installs its own project.
bench-render: venv ## Print render, install and rendered-test times and the size of a default render
	$(BIN)/python bench/render.py

bench-stack: venv ## Benchmark the deployed stack (req/s, p50, p99) against a bare Django app
	$(BIN)/python bench/stack.py

bench-multihost: venv ## Print requests/s through the load balancer with one and two app hosts (root)
	$(BIN)/python bench/multihost.py

bench-celery: venv ## Print Celery throughput and recovery from a killed worker (PostgreSQL, Redis)
	$(BIN)/python bench/celery.py --restart

bench-query-budgets: venv ## Print a default project's query-budget test time, wall and CPU, per route
	$(BIN)/python bench/query_budgets.py

clean: ## Remove the tooling environment and build output
	rm -rf $(VENV) build .pytest_cache
