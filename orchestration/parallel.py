"""How many things the pipeline does at once: the FINOPS_*_WORKERS and FINOPS_*_THREADS settings. No import beyond
the standard library: the forecast worker processes read it too."""

from __future__ import annotations

import os


def at_once(variable: str, most: int | None = None) -> int:
    """The positive number in the environment variable `variable`; unset, the machine's cores (at most `most`)."""
    cores = os.cpu_count() or 1
    value = os.environ.get(variable)
    if value is None:
        return min(cores, most) if most else cores
    try:
        return max(1, int(value))
    except ValueError:
        raise ValueError(f"{variable}={value!r}: expected a whole number (how many at once)") from None
