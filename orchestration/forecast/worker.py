"""A forecast worker process (orchestration.forecast.core.by_series): reads pickled (function name, arguments)
requests on stdin, one after the other, runs that function of orchestration.forecast.core and writes a pickled
("ok", result) or ("error", traceback) on stdout; exits when its input closes."""

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
            return
        try:
            answer = ("ok", getattr(core, name)(*args))
        except Exception:
            answer = ("error", traceback.format_exc())
        pickle.dump(answer, results, protocol=pickle.HIGHEST_PROTOCOL)
        results.flush()


if __name__ == "__main__":
    main()
