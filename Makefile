# The README's commands. Everything installs into .venv with the Python 3.11 found on PATH.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install browser demo test lint format ui bench clean

$(BIN)/ml-connector: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/ml-connector

# Headless Chromium from Debian's packages, for the browser test (tests/browser/): Playwright drives it and never
# downloads a browser of its own. Without it that test is skipped, unless ML_CONNECTOR_REQUIRE_BROWSER is set (CI).
browser:
	@test -x /usr/bin/chromium || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver; }

demo: install
	$(BIN)/ml-connector demo

# Two workers (pytest-xdist): each test builds its own sandbox, ledger and Dagster instance, so tests share nothing
# but the PostgreSQL server (a database each); two cores run the suite in about half the time. `loadgroup` keeps the
# tests of one `xdist_group` on one worker (the demo's module runs the demo once for all of them).
test: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

ui: install
	$(BIN)/ml-connector ui

# dlt (the `bench` extra) only for the extraction beside dlt's rest_api. The 1,000,000-record cases take hours today
# and are run on their own (README, Benchmark).
bench: install
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/ebs_to_dataverse.py
	$(BIN)/python bench/salesforce_to_fo_orders.py
	$(BIN)/python bench/jde_to_zoho.py
	$(BIN)/python bench/ebs_to_procore.py

clean:
	rm -rf $(VENV) .ml_connector
