# genai-finops: two commands on a fresh machine.
#   make run   builds the whole warehouse (data/warehouse.duckdb) from generated demo data, through Dagster
#   make test  runs the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test dev lint bench clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/genai-finops run

test: $(STAMP)
	$(BIN)/python -m pytest -q

DAGSTER_HOME ?= $(CURDIR)/data/dagster_home

dev: $(STAMP)
	$(BIN)/genai-finops prepare
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || cp orchestration/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/dagster dev

lint: $(STAMP)
	$(BIN)/ruff check orchestration tests
	$(BIN)/ruff format --check orchestration tests

clean:
	rm -rf data target logs
