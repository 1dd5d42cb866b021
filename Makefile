# The README's commands. Everything installs into .venv with the Python 3.11 found on PATH.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint format ui bench clean

$(BIN)/ml-connector: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/ml-connector

demo: install
	$(BIN)/ml-connector demo

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

ui: install
	$(BIN)/ml-connector ui

bench: install
	$(BIN)/python bench/ebs_to_dataverse.py
	$(BIN)/python bench/salesforce_to_fo_orders.py
	$(BIN)/python bench/jde_to_zoho.py

clean:
	rm -rf $(VENV) .ml_connector
