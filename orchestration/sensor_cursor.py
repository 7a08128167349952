"""The cursor of the project's sensors (the landing sensor, the bucket sensors): what the sensor last saw and how
many runs it has asked for. The count ends each run key, so a state seen before (a day's folder moved out and back
with the same names, sizes and times; a bucket's object deleted, then restored from its earlier version) is a new
run, where Dagster would skip a run key it has seen; a tick evaluated again before its cursor was saved asks for
the same key, and Dagster runs it once."""

from __future__ import annotations

import json


def read_cursor(cursor: str | None) -> tuple[object, int]:
    """(what the sensor last saw, how many runs it has asked for); (None, 0) before its first tick. A cursor of
    what it saw alone (the landing's fingerprints per day, a bucket's signature), without a count, counts from 0."""
    if not cursor:
        return None, 0
    if cursor.startswith("{"):
        state = json.loads(cursor)
        if "requests" in state:
            return state["seen"], state["requests"]
        return state, 0
    return cursor, 0


def kept(cursor: str | None, name: str) -> list:
    """Another list the sensor keeps in its cursor (the landing sensor: the runs it asked for that had not ended);
    [] when there is none."""
    if not cursor or not cursor.startswith("{"):
        return []
    return json.loads(cursor).get(name, [])


def write_cursor(seen: object, requests: int, **lists: list) -> str:
    return json.dumps({"seen": seen, "requests": requests, **lists})


def next_key(key: str, requests: int) -> str:
    """The next run's key: `key` and the count of runs asked for with it."""
    return f"{key}:{requests + 1}"


def next_request(key: str, seen: object, requests: int) -> tuple[str, str]:
    """The next run's key and the cursor to save with it."""
    return next_key(key, requests), write_cursor(seen, requests + 1)
