"""A forecast worker process (orchestration.forecast.core.by_series): reads pickled (function name, arguments)
requests on stdin, one after the other, runs that function of orchestration.forecast.core and writes a pickled
("ok", result) or ("error", traceback) on stdout; exits when its input closes.

It exits without the interpreter's teardown (`os._exit` once its last answer and what the libraries printed are
flushed): freeing statsforecast, statsmodels, scipy and pandas object by object took 0.54-0.61 s, and the process
that owns the workers waits for them to exit (`core._close_pool`, when dbt's process ends its build); 0.02-0.03 s
this way (docs/benchmarks.md). A worker holds nothing that its exit must write."""

from __future__ import annotations

import os
import pickle
import sys
import traceback


def main() -> None:
    requests = sys.stdin.buffer
    results = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what the libraries print goes to stderr, never into the results
    from orchestration.forecast import core

    while True:
        try:
            name, args = pickle.load(requests)
        except EOFError:
            results.close()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        try:
            answer = ("ok", getattr(core, name)(*args))
        except Exception:
            answer = ("error", traceback.format_exc())
        pickle.dump(answer, results, protocol=pickle.HIGHEST_PROTOCOL)
        results.flush()


if __name__ == "__main__":
    main()
