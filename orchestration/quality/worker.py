"""The run's validation worker (orchestration.quality.validation.start_worker): imports Great Expectations at
once, then answers the pipeline's requests (`validation.IN_WORKER`) until its input closes. It ignores Ctrl-C (the
pipeline's process stops it); when that process ends, however it ends, its input closes and it exits once it
has answered what it was asked, or at its next answer when nobody reads the answers any more."""

from __future__ import annotations

import signal
import sys

from orchestration.workers import private_results, serve


def main() -> None:
    results = private_results()  # what the libraries print goes to stderr, never into the results
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from orchestration.quality import suites, validation

    suites.great_expectations()
    serve(validation.IN_WORKER, sys.stdin.buffer, results, [])


if __name__ == "__main__":
    main()
