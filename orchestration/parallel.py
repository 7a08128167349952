"""How many things the pipeline does at once: the FINOPS_*_WORKERS and FINOPS_*_THREADS settings. No import beyond
the standard library: the forecast worker processes read it too."""

from __future__ import annotations

import os


def at_once(variable: str, most: int | None = None) -> int:
    """The positive number in the environment variable `variable`; unset, the machine's cores (at most `most`)."""
    cores = os.cpu_count() or 1
    default = min(cores, most) if most else cores
    return max(1, int(os.environ.get(variable, default)))
