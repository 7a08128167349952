"""A forecast worker process (orchestration.forecast.core.by_series): reads pickled (function name, arguments)
requests on stdin, one after the other, runs that function of orchestration.forecast.core and writes a pickled
("ok", result) or ("error", traceback) on stdout; exits when its input closes.

Started with file descriptors as arguments (pairs: requests to read, results to write), it is the first of
several workers: it imports the forecasting libraries (statsforecast, statsmodels, scipy: ~2 s of CPU), then
forks one worker per pair, which serves that pair's requests with what is imported already, and serves its own
stdin: the import is paid once, not once per worker. When it forks, the worker runs no Python thread but its
own; the libraries' native threads (OpenBLAS's, Arrow's allocator's) are handled by their own fork handlers
(pthread_atfork). The first worker waits for the others before it exits.

It exits without the interpreter's teardown (`os._exit` once its last answer and what the libraries printed are
flushed): freeing statsforecast, statsmodels, scipy and pandas object by object took 0.54-0.61 s, and the process
that owns the workers waits for them to exit (`core._close_pool`, when dbt's process ends its build); 0.02-0.03 s
this way (docs/benchmarks.md). A worker holds nothing that its exit must write."""

from __future__ import annotations

import os
import sys
import traceback
from typing import BinaryIO

from orchestration.workers import private_results, serve


def main(pairs: list[tuple[int, int]]) -> None:
    requests: BinaryIO = sys.stdin.buffer
    results = private_results()  # what the libraries print goes to stderr, never into the results
    from orchestration.forecast import core

    children = []
    if pairs:
        import statsforecast.models  # noqa: F401  (imported once, here, for every fork)

        sys.stdout.flush()
        sys.stderr.flush()
        for own in pairs:
            pid = os.fork()
            if pid == 0:  # a worker of its own: its pair only; it never returns into this loop
                try:
                    requests.close()
                    results.close()
                    for pair in pairs:
                        if pair != own:
                            os.close(pair[0])
                            os.close(pair[1])
                    serve(core, os.fdopen(own[0], "rb"), os.fdopen(own[1], "wb"), [])
                except BaseException:
                    traceback.print_exc()
                finally:
                    sys.stderr.flush()
                    os._exit(1)
            children.append(pid)
        for pair in pairs:
            os.close(pair[0])
            os.close(pair[1])
    serve(core, requests, results, children)


if __name__ == "__main__":
    fds = [int(a) for a in sys.argv[1:]]
    main(list(zip(fds[::2], fds[1::2], strict=True)))
