# genai-finops: two commands on a fresh machine.
#   make run        builds the demo warehouse (data/demo/warehouse.duckdb) from generated demo data, through Dagster
#   make test       runs the whole test suite
#   make test-fast  the inner loop: everything but the pipeline runs and crash tests
#   make lint       ruff (Python) and sqlfluff (dbt SQL)
#   make spark-check  builds the same project on Spark and compares every mart with DuckDB (CI runs it too)
# Your own data: FINOPS_LANDING_DIR=/path/to/landing .venv/bin/genai-finops run
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test test-fast dev lint bench clean spark-check focus-validator

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# focus-validator (the FinOps Foundation's FOCUS checker) needs numpy < 2: a virtualenv of its own, for the test
# that validates the FOCUS export (tests/test_focus.py)
FOCUS_VENV  := .venv-focus
FOCUS_STAMP := $(FOCUS_VENV)/.installed
$(FOCUS_STAMP): requirements-focus.lock
	@test -x $(FOCUS_VENV)/bin/python || $(PYTHON) -m venv $(FOCUS_VENV)
	$(FOCUS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-focus.lock
	@touch $(FOCUS_STAMP)

focus-validator: $(FOCUS_STAMP)

# the Spark extra (dbt-spark in session mode, pyspark; needs Java 17), for `make spark-check`
SPARK_STAMP := $(VENV)/.installed-spark
$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev,spark]'
	@touch $(SPARK_STAMP)

# build a small demo on DuckDB and on Spark from the same lake, compare every mart (non-zero exit on a difference)
spark-check: $(SPARK_STAMP)
	$(BIN)/python -m orchestration.tools.spark check

run: $(STAMP)
	$(BIN)/genai-finops demo

# two workers (the machine's cores); tests sharing a session build run in the same worker. Nothing is written
# inside the repository (no bytecode, no pytest cache; every test works in temporary folders).
test: $(STAMP) $(FOCUS_STAMP)
	PYTHONDONTWRITEBYTECODE=1 $(BIN)/python -m pytest -q --durations=20 -n 2 --dist loadgroup

# the inner loop: unit and dbt tests, without the whole-pipeline runs and the crash tests
test-fast: $(STAMP)
	PYTHONDONTWRITEBYTECODE=1 $(BIN)/python -m pytest -q --durations=10 -n 2 --dist loadgroup -m "not pipeline and not crash"

DAGSTER_HOME ?= $(CURDIR)/data/dagster_home

dev: $(STAMP)
	$(BIN)/genai-finops prepare
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || cp orchestration/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/dagster dev

# ruff on the Python, sqlfluff (dbt templater, DuckDB dialect) on the models and dbt tests; dbt compiles into
# a temporary folder, never the project
LINT_TMP := $(shell mktemp -d -u /tmp/genai_finops_lint.XXXXXX)
lint: $(STAMP)
	$(BIN)/ruff check orchestration tests models
	$(BIN)/ruff format --check orchestration tests models
	$(BIN)/genai-finops generate-dbt --check
	mkdir -p $(LINT_TMP)
	FINOPS_DUCKDB_PATH=$(LINT_TMP)/lint.duckdb FINOPS_LAKE_DIR=$(LINT_TMP)/lake DBT_TARGET_PATH=$(LINT_TMP)/target \
	  DBT_LOG_PATH=$(LINT_TMP)/logs $(BIN)/sqlfluff lint models tests/dbt --processes 2; rc=$$?; rm -rf $(LINT_TMP); exit $$rc

clean:
	rm -rf data target logs
