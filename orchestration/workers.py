"""Worker processes: a new interpreter (`python -m <module>`) that imports a heavy library once and then serves
requests from the process that started it, one after the other, over a pair of pipes. A request is a pickled
(function name, arguments) of the module the worker serves; the answer a pickled ("ok", result) or ("error",
traceback). A worker exits when its input closes.

Used by the forecast fits (orchestration.forecast.worker: statsforecast, in dbt's process) and the validation
(orchestration.quality.worker: Great Expectations, in the pipeline's process)."""

from __future__ import annotations

import os
import pickle
import sys
import traceback
from typing import BinaryIO


class WorkerProcess:
    """The starting process's end of a worker: `call` sends a request and waits for its answer. A worker whose
    pipe breaks (it exited, or was killed) is marked failed and raises; an error inside the called function
    raises with the worker's traceback, and the worker serves the next request."""

    what = "worker"

    def __init__(self, requests, results, process=None):
        self.requests = requests
        self.results = results
        self.process = process  # the subprocess.Popen of a started worker (None: a worker that one forked)
        self.failed = False

    def alive(self) -> bool:
        return not self.failed and (self.process is None or self.process.poll() is None)

    def call(self, name: str, *args):
        self.send(name, *args)
        return self.receive(name)

    def send(self, name: str, *args) -> int:
        """A request, without waiting for its answer (the worker answers requests in the order they were sent:
        `receive`); the bytes it took. Writing waits while the pipe to the worker is full."""
        request = self.encode(name, *args)
        self.write(name, request)
        return len(request)

    @staticmethod
    def encode(name: str, *args) -> bytes:
        """A request as `write` sends it (its size known before it is sent)."""
        return pickle.dumps((name, args), protocol=pickle.HIGHEST_PROTOCOL)

    def write(self, name: str, request: bytes) -> None:
        """Send a request made by `encode`."""
        try:
            self.requests.write(request)
            self.requests.flush()
        except OSError as exc:
            self._broken(name, exc)

    def receive(self, name: str):
        """The answer to the oldest request not yet answered (`name`: that request's function, for the error)."""
        try:
            status, value = pickle.load(self.results)
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            self._broken(name, exc)
        if status != "ok":
            raise RuntimeError(f"{self.what} failed ({name}): {value}")
        return value

    def _broken(self, name: str, exc: BaseException):
        self.failed = True
        self.close()
        exit_code = self.process.wait() if self.process is not None else "unknown"
        raise RuntimeError(f"{self.what} failed ({name}, exit {exit_code}): {exc!r}") from exc

    def close(self) -> None:
        for stream in (self.requests, self.results):
            try:
                stream.close()
            except OSError:
                pass


def private_results() -> BinaryIO:
    """In a worker: its standard output as the answers' stream, and file descriptor 1 pointed at standard error,
    so that what a library prints never lands among the answers."""
    results = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    return results


def serve(module, requests: BinaryIO, results: BinaryIO, children: list[int]) -> None:
    """In a worker: answer each request with `getattr(module, name)(*args)` until the input closes (or nobody
    reads the answers any more), then wait
    for the `children` it forked and exit without the interpreter's teardown (`os._exit`: freeing the imported
    libraries object by object is what a normal exit costs; a worker holds nothing its exit must write)."""

    def finish() -> None:
        try:
            results.close()
        except BrokenPipeError:
            pass
        sys.stdout.flush()
        sys.stderr.flush()
        for pid in children:  # forked workers end when their own input closes
            os.waitpid(pid, 0)
        os._exit(0)

    while True:
        try:
            name, args = pickle.load(requests)
        except EOFError:
            finish()
        try:
            answer = ("ok", getattr(module, name)(*args))
        except Exception:
            answer = ("error", traceback.format_exc())
        try:
            pickle.dump(answer, results, protocol=pickle.HIGHEST_PROTOCOL)
            results.flush()
        except BrokenPipeError:  # the asking process stopped reading (it stopped the worker with requests left)
            finish()
