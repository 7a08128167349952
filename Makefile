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

.PHONY: install run test dev lint bench clean spark-check

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

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
