# Outage Broadcaster: every target works from a clean clone on Debian/Ubuntu with Python 3.11+.
# `make demo` and `make test` are the two commands of the README's Quickstart.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.DEFAULT_GOAL := all
.PHONY: all install install-dev tools demo test test-unit lint format typecheck check-assets check-monitoring docs bench run-serve run-worker run-simulator clean

$(VENV)/.runtime: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.runtime
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	@touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Debian packages the tests drive for real: redis-server, promtool/prometheus, alertmanager.
tools:
	@scripts/ensure-tools

demo: $(VENV)/.runtime
	@scripts/ensure-tools redis-server
	$(BIN)/broadcaster demo

test: $(VENV)/.dev tools lint
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest $(PYTEST_ARGS)
	$(BIN)/coverage report
	$(BIN)/coverage report --include='broadcaster/domain/*' --fail-under=100

test-unit: $(VENV)/.dev
	$(BIN)/pytest tests/unit -q

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

typecheck: $(VENV)/.dev
	$(BIN)/mypy

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-assets: $(VENV)/.dev tools check-monitoring
	$(BIN)/broadcaster templates check
	$(BIN)/broadcaster segments check
	$(BIN)/python -m broadcaster.reference --check

# The alert rules, their unit tests and the Prometheus config (the test suite runs them too).
check-monitoring: tools
	promtool check rules monitoring/alerts.yml
	promtool test rules monitoring/tests/alerts_test.yml
	promtool check config monitoring/prometheus.yml

# Regenerate docs/metrics.md's catalogue and docs/configuration.md from the code.
docs: $(VENV)/.runtime
	$(BIN)/python -m broadcaster.reference

bench: $(VENV)/.dev
	@scripts/ensure-tools redis-server
	$(PY) -m benchmarks

run-serve: $(VENV)/.runtime
	$(BIN)/broadcaster serve

run-worker: $(VENV)/.runtime
	$(BIN)/broadcaster worker

run-simulator: $(VENV)/.runtime
	$(BIN)/broadcaster simulator

all: lint check-assets test

clean:
	rm -rf $(VENV) .coverage .coverage.* htmlcov .mypy_cache .ruff_cache .hypothesis build *.egg-info
