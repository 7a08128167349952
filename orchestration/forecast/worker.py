"""A forecast worker process (orchestration.forecast.core.by_series): reads a pickled (function name, arguments)
on stdin, runs that function of orchestration.forecast.core, writes its pickled result on stdout."""

from __future__ import annotations

import os
import pickle
import sys


def main() -> None:
    result_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what the libraries print goes to stderr, never into the result
    name, args = pickle.load(sys.stdin.buffer)
    from orchestration.forecast import core

    pickle.dump(getattr(core, name)(*args), result_out, protocol=pickle.HIGHEST_PROTOCOL)
    result_out.close()


if __name__ == "__main__":
    main()
