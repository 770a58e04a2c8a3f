# Two commands do everything on a fresh machine:
#   make demo   set up .venv, then run nof1 on the sample data and print where the outputs are
#   make test   set up .venv with the dev tools, then lint and run every test
#   make fuzz   fuzz diary import for a few minutes (FUZZ_EXAMPLES=N for more or fewer)
#   make schemas  regenerate nof1/schemas/*.schema.json from the typed result records
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := out/demo

.PHONY: demo test lint docs fuzz schemas clean

# Reinstall whenever pyproject.toml changes (the stamp files are older then).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,dask]'
	touch $@ $(VENV)/.installed

SAMPLE := sample_data/ldn-nof1-multicycle
SERIES := sample_data/ldn-fibromyalgia-2013-series

demo: $(VENV)/.installed
	$(BIN)/nof1 protocols show ldn-nof1-multicycle
	$(BIN)/nof1 schedule ldn-nof1-multicycle --patient DEMO01 --start 2026-01-05 --seed 2026 \
		--out $(DEMO)/schedule --force
	$(BIN)/nof1 analyze $(SAMPLE)/P01-diary.csv --protocol ldn-nof1-multicycle \
		--allocation $(SAMPLE)/P01-unblinding-key.json --out $(DEMO)/P01 --force
	$(BIN)/nof1 series $(SERIES)/series-diary.csv --protocol ldn-fibromyalgia-2013 \
		--allocations $(SERIES)/series-unblinding-key.json --out $(DEMO)/series --force
	@echo
	@echo "Demo outputs:"
	@echo "  schedule for a new patient DEMO01:   $(DEMO)/schedule/"
	@echo "  analysis of sample patient P01:      $(DEMO)/P01/results.json"
	@echo "  the aligned diary (day by day):      $(DEMO)/P01/aligned.csv"
	@echo "  the report (open in a browser):      $(DEMO)/P01/report.html"
	@echo "  the 31-patient series report:        $(DEMO)/series/series.html"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check nof1 tests
	$(BIN)/ruff format --check nof1 tests

test: lint
	$(BIN)/python -m pytest -q

# Diary import under random corruption, for longer than `make test` does (a few minutes).
FUZZ_EXAMPLES ?= 5000
fuzz: $(VENV)/.installed-dev
	NOF1_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/data/test_fuzz_diaries.py

# The JSON Schemas are generated from the records (nof1/schemas/documents.py); a test
# fails when a shipped one differs.
schemas: $(VENV)/.installed
	$(BIN)/python -m nof1.schemas.generate

docs: $(VENV)/.installed
	$(BIN)/python -m nof1.cli.reference > docs/cli.md

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
