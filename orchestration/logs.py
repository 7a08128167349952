"""What a run prints, and where Dagster's event stream goes.

The code location's console logger (`finops_console`): like Dagster's default console logger (level set by
`log_level`), plus two options the command line uses:
- `log_file`: every message at DEBUG (Dagster's whole event stream) goes to this file;
- `quiet`: the terminal (standard error) shows only the one-line step summaries (messages starting with STEP),
  the rest goes to the log file. (dagster-dbt re-emits dbt's own log lines on standard output: a quiet run
  sends standard output to the log file too, see orchestration/pipeline.py.)
Assets and checks report a step with `context.log.info(step(...))`.
"""

from __future__ import annotations

import logging
import sys

from dagster import Field, logger

STEP = "[step] "


def step(text: str) -> str:
    """A one-line summary of a step for a person reading the terminal."""
    return STEP + text


class _StepsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        meta = getattr(record, "dagster_meta", None) or {}
        return str(meta.get("orig_message", record.getMessage())).startswith(STEP)


class _StepFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, "dagster_meta", None) or {}
        return "  " + str(meta.get("orig_message", record.getMessage())).removeprefix(STEP)


@logger(
    config_schema={
        "log_level": Field(str, default_value="INFO", description="level of the terminal output"),
        "log_file": Field(str, is_required=False, description="file receiving every message at DEBUG"),
        "quiet": Field(bool, default_value=False, description="terminal: step summaries only"),
    },
    description="Terminal output (step summaries when quiet) and, optionally, the whole event stream to a file.",
)
def finops_console(init_context) -> logging.Logger:
    config = init_context.logger_config
    log = logging.getLogger(f"genai_finops.{id(init_context)}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.handlers.clear()
    terminal = logging.StreamHandler(sys.stderr)
    if config["quiet"]:
        terminal.setLevel(logging.INFO)
        terminal.addFilter(_StepsOnly())
        terminal.setFormatter(_StepFormatter())
    else:
        terminal.setLevel(config["log_level"].upper())
        terminal.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(terminal)
    if config.get("log_file"):
        to_file = logging.FileHandler(config["log_file"])
        to_file.setLevel(logging.DEBUG)
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(to_file)
    return log
