"""The cursor of the project's sensors (the landing sensor, the bucket sensors): what the sensor last saw and how
many runs it has asked for. The count ends each run key, so a state seen before (a day's folder moved out and back
with the same names, sizes and times; a bucket's object deleted, then restored from its earlier version) is a new
run, where Dagster would skip a run key it has seen; a tick evaluated again before its cursor was saved asks for
the same key, and Dagster runs it once."""

from __future__ import annotations

import json

EARLIER_NAMES = ("days", "listing")  # what the landing and the bucket sensors once called `seen` beside the count


def read_cursor(cursor: str | None) -> tuple[object, int]:
    """(what the sensor last saw, how many runs it has asked for); (None, 0) before its first tick. Cursors of the
    sensors' earlier forms are read too: what it saw alone (the landing's fingerprints per day, a bucket's
    signature) counts from 0; with a count, under its earlier name."""
    if not cursor:
        return None, 0
    if not cursor.startswith("{"):
        return cursor, 0
    state = json.loads(cursor)
    if "requests" not in state:
        return state, 0
    name = next((n for n in ("seen", *EARLIER_NAMES) if n in state), "seen")
    return state[name], state["requests"]


def kept(cursor: str | None, name: str) -> list:
    """Another list the sensor keeps in its cursor (the landing sensor: the runs it asked for that had not ended);
    [] when there is none."""
    if not cursor or not cursor.startswith("{"):
        return []
    return json.loads(cursor).get(name, [])


def write_cursor(seen: object, requests: int, **lists: list) -> str:
    """The cursor: what the sensor saw, its count, and the lists it keeps (`kept`)."""
    return json.dumps({"seen": seen, "requests": requests, **lists})


def next_key(key: str, requests: int) -> str:
    """The next run's key: `key` and the count of runs asked for with it."""
    return f"{key}:{requests + 1}"


def next_request(key: str, seen: object, requests: int) -> tuple[str, str]:
    """The next run's key and the cursor to save with it."""
    return next_key(key, requests), write_cursor(seen, requests + 1)
