"""The forecast models' frames: int_forecast_history as statsforecast wants it, the series' keys, and (from
orchestration.frames) frames in and out of a dbt Python model on either engine."""

from __future__ import annotations

import pandas as pd

from orchestration.frames import output, previous, to_pandas

__all__ = ["SERIES_KEYS", "SERIES_KEY_TYPES", "history_frame", "output", "previous", "series_keys", "to_pandas"]

SERIES_KEYS = ["series_id", "scope", "use_case_id", "platform", "model_id", "team", "metric"]
SERIES_KEY_TYPES = dict.fromkeys(SERIES_KEYS, "string")


def history_frame(relation) -> pd.DataFrame:
    """int_forecast_history with unique_id (the series id), ds (datetime) and y (float), sorted."""
    history = to_pandas(relation)
    history["unique_id"] = history["series_id"]
    history["ds"] = pd.to_datetime(history["ds"])
    history["y"] = history["y"].astype(float)
    return history.sort_values(["unique_id", "ds"]).reset_index(drop=True)


def series_keys(history: pd.DataFrame) -> pd.DataFrame:
    return history.drop_duplicates("series_id")[SERIES_KEYS]
