# Two commands on a fresh machine with Python 3.11+ and make:
#   make serve   install into .venv and start the server (SQLite under ./contactsheet-data)
#   make test    install the test dependencies and run the whole suite
#   make fuzz    a longer API fuzzing campaign (FUZZ_EXAMPLES cases per operation)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# loadgroup: tests marked with one xdist_group (the API fuzzer) share a worker.
PYTEST_ARGS ?= -n auto --dist loadgroup
FUZZ_EXAMPLES ?= 500

.PHONY: serve test fuzz install install-test lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

serve: $(VENV)/.installed
	$(BIN)/contactsheet serve

test: $(VENV)/.installed-test
	$(BIN)/pytest $(PYTEST_ARGS)

fuzz: $(VENV)/.installed-test
	API_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -n 0 -s -m fuzz tests/test_api_fuzz.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info
