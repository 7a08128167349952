"""Forecasts: interval coverage and accuracy on synthetic series with a known shape, fallbacks for short series,
the worked examples of docs/design.md (8: a price decline of 6.67% a month is a factor of 0.437 after 12 months),
budget outlooks and their Dagster check, and the forecast marts of a whole pipeline run."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.forecast import core
from tests.conftest import copy_of, query, run_dbt, site_customized

DAYS = 154  # 22 weeks of history per synthetic series
HOLDOUT = 28


def synthetic(seed: int, series: int = 16, days: int = DAYS) -> pd.DataFrame:
    """Daily series with a linear trend, a weekly pattern (weekdays busy, weekends quiet) and Gaussian noise:
    y = level + slope x t + amplitude x week[t mod 7] + N(0, sigma)."""
    rng = np.random.default_rng(seed)
    week = np.array([1.0, 1.1, 1.1, 1.0, 0.9, -2.0, -2.1])
    start = pd.Timestamp("2026-01-05")
    frames = []
    for i in range(series):
        level, slope = rng.uniform(80, 200), rng.uniform(-0.1, 0.6)
        amplitude, sigma = rng.uniform(10, 30), rng.uniform(3, 8)
        t = np.arange(days)
        y = level + slope * t + amplitude * week[t % 7] + rng.normal(0, sigma, days)
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": start + pd.to_timedelta(t, "D"), "y": y}))
    return pd.concat(frames, ignore_index=True)


def held_out_scores(history: pd.DataFrame, horizon: int):
    """Fit on all but the last `horizon` days as the warehouse does; per held-out point the forecast, its
    intervals, and seasonal naive's forecast of the same day."""
    cut = history["ds"].max() - pd.Timedelta(days=horizon)
    train, held = history[history["ds"] <= cut], history[history["ds"] > cut]
    planned, scores, forecasts = core.fit(train, horizon)
    naive = core.forecast(train, dict.fromkeys(train["unique_id"].unique(), "seasonal_naive"), horizon)
    out = held.merge(forecasts, on=["unique_id", "ds"]).merge(
        naive[["unique_id", "ds", "point"]].rename(columns={"point": "naive"}), on=["unique_id", "ds"]
    )
    return planned, scores, out


@pytest.mark.unit
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_intervals_cover_and_the_chosen_method_beats_seasonal_naive(seed):
    history = synthetic(seed)
    planned, scores, points = held_out_scores(history, HOLDOUT)
    assert set(planned["mode"]) == {"backtest"}  # 126 days of history: every series is backtested
    assert len(points) == 16 * HOLDOUT
    inside_80 = points["y"].between(points["lo_80"], points["hi_80"]).mean()
    inside_95 = points["y"].between(points["lo_95"], points["hi_95"]).mean()
    assert 0.70 <= inside_80 <= 0.90, inside_80
    assert inside_95 >= inside_80
    # MASE on the held-out days, each series scaled by its in-sample weekly naive error
    train = history[history["ds"] <= history["ds"].max() - pd.Timedelta(days=HOLDOUT)].copy()
    train["e"] = (train["y"] - train.groupby("unique_id")["y"].shift(7)).abs()
    scale = train.groupby("unique_id")["e"].mean()
    points["scaled"] = (points["point"] - points["y"]).abs() / points["unique_id"].map(scale)
    points["naive_scaled"] = (points["naive"] - points["y"]).abs() / points["unique_id"].map(scale)
    chosen, naive = points["scaled"].mean(), points["naive_scaled"].mean()
    assert chosen < naive, (chosen, naive)
    # the trend is what seasonal naive misses: the chosen methods are the trend-aware ones
    assert set(scores.loc[scores["is_chosen"], "method"]) - {"seasonal_naive"}


@pytest.mark.unit
def test_a_level_shift_is_picked_up():
    """100 a day for 12 weeks, then 160 for 4 weeks (weekly pattern and noise on both): the next two weeks are
    forecast near 160, not near the long-run average of 115."""
    rng = np.random.default_rng(7)
    t = np.arange(112)
    week = np.array([5.0, 5, 5, 5, 5, -12, -13])
    y = np.where(t < 84, 100.0, 160.0) + week[t % 7] + rng.normal(0, 3, len(t))
    history = pd.DataFrame({"unique_id": "shift", "ds": pd.Timestamp("2026-01-05") + pd.to_timedelta(t, "D"), "y": y})
    _, _, forecasts = core.fit(history, 14)
    mean = forecasts["point"].mean()
    assert 150 <= mean <= 170, mean


@pytest.mark.unit
def test_short_and_sparse_series_get_a_stated_fallback():
    """A use case with 5 days of data beside a long series: historic average, flagged; 20 days: seasonal naive
    (too short to backtest); 70 days with activity on 10 of them: historic average (sparse). None is dropped."""
    long = synthetic(4, series=1, days=98)
    start = pd.Timestamp("2026-04-08")
    five = pd.DataFrame({"unique_id": "five", "ds": start + pd.to_timedelta(range(5), "D"), "y": [3, 5, 4, 6, 2.0]})
    twenty = pd.DataFrame(
        {"unique_id": "twenty", "ds": pd.Timestamp("2026-03-24") + pd.to_timedelta(range(20), "D"), "y": 10.0}
    )
    sparse_y = np.zeros(70)
    sparse_y[::7] = 50.0
    sparse = pd.DataFrame(
        {"unique_id": "sparse", "ds": pd.Timestamp("2026-02-02") + pd.to_timedelta(range(70), "D"), "y": sparse_y}
    )
    history = pd.concat([long, five, twenty, sparse], ignore_index=True)
    planned, scores, forecasts = core.fit(history, 30)
    plan = planned.set_index("unique_id")
    assert plan.loc["five", ["mode", "fallback_method", "fallback_reason"]].tolist() == [
        "fallback",
        "historic_average",
        "too_short_for_seasonality",
    ]
    assert plan.loc["twenty", "fallback_reason"] == "too_short_for_backtest"
    assert plan.loc["twenty", "fallback_method"] == "seasonal_naive"
    assert plan.loc["sparse", ["fallback_method", "fallback_reason"]].tolist() == ["historic_average", "sparse"]
    assert plan.loc["s0", "mode"] == "backtest"
    assert set(scores["unique_id"]) == {"s0"}  # only the long series is backtested
    assert forecasts.groupby("unique_id").size().to_dict() == {"five": 30, "twenty": 30, "sparse": 30, "s0": 30}
    five_points = forecasts[forecasts["unique_id"] == "five"]
    assert five_points["method"].unique().tolist() == ["historic_average"]
    assert five_points["point"].round(9).unique().tolist() == [4.0]  # (3 + 5 + 4 + 6 + 2) / 5


@pytest.mark.unit
def test_series_fitted_in_worker_processes_give_the_rows_of_one_process(monkeypatch):
    monkeypatch.setattr(core, "MIN_SERIES_PER_WORKER", 2)
    history = synthetic(4, series=7, days=84)
    methods = ("seasonal_naive", "ets")
    alone = core.backtest(history, methods, workers=1)
    split = core.backtest(history, methods, workers=2)  # two processes, 4 and 3 series
    pd.testing.assert_frame_equal(split, alone, check_exact=True)
    chosen = core.methods_for(core.plan(history), core.accuracy(alone))
    assert set(chosen.values()) == {"seasonal_naive", "ets"}  # both methods forecast some series
    started = list(core._workers)
    pd.testing.assert_frame_equal(
        core.forecast(history, chosen, 30, workers=2), core.forecast(history, chosen, 30, workers=1), check_exact=True
    )
    assert core._workers == started  # the backtests' processes forecast too
    with pytest.raises(RuntimeError, match="(?s)forecast worker failed.*unknown forecasting method 'theta'"):
        core.backtest(history, ("seasonal_naive", "theta"), workers=2)  # an error in a worker is the caller's


@pytest.mark.unit
def test_a_worker_answers_then_exits_without_the_interpreters_teardown(monkeypatch, tmp_path):
    """A forecast worker whose input closes exits at once with status 0 after its last answer: the exit functions
    of a normal exit (here one that `sitecustomize` registers in the worker) do not run."""
    marker = tmp_path / "torn_down"
    site = site_customized(
        tmp_path / "site", f"import atexit, pathlib\natexit.register(pathlib.Path({str(marker)!r}).touch)\n"
    )
    monkeypatch.setenv("PYTHONPATH", site)
    worker = core._Worker.spawn()[0]
    try:
        plan = worker.call("plan", synthetic(6, series=2, days=84))
        assert sorted(plan["unique_id"]) == ["s0", "s1"]
        worker.close()
        assert worker.process.wait(timeout=60) == 0
    finally:
        worker.process.kill()
    assert not marker.exists()
    # the same site customization in a Python that exits normally does touch the marker
    subprocess.run([sys.executable, "-c", "pass"], check=True, env={**os.environ})
    assert marker.exists()


@pytest.mark.unit
def test_workers_started_together_are_one_interpreter_and_its_forks():
    """Two workers started together are one new interpreter, which imports the forecasting libraries once and
    forks the second (a child of the first, the same command line); both answer, and closing their input ends
    both: the first exits with status 0 once the one it forked has ended."""
    workers = core._Worker.spawn(2)
    first = workers[0].process
    try:
        history = synthetic(6, series=2, days=84)
        for worker in workers:
            assert sorted(worker.call("plan", history)["unique_id"]) == ["s0", "s1"]
        children = Path(f"/proc/{first.pid}/task/{first.pid}/children").read_text().split()
        assert len(children) == 1 and workers[1].process is None
        forked = Path(f"/proc/{children[0]}")
        assert (forked / "cmdline").read_bytes() == Path(f"/proc/{first.pid}/cmdline").read_bytes()
        for worker in workers:
            worker.close()
        assert first.wait(timeout=60) == 0
        assert not forked.exists()  # ended and reaped by the first
    finally:
        first.kill()


@pytest.mark.unit
def test_series_with_the_same_data_are_fitted_once_and_get_the_rows_of_their_own_fit(monkeypatch):
    """A series whose days and values repeat another's (a team with one use case, a use case on one model) is
    backtested and forecast once: its rows are those its own fit gives. The same values a day later, or one
    value apart, are series of their own; so is a copy forecast by another method."""
    history = synthetic(5, series=3, days=84)
    s0 = history[history["unique_id"] == "s0"]
    nudged = s0["y"].where(s0["ds"] != s0["ds"].max(), s0["y"] + 1e-9)
    history = pd.concat(
        [
            history,
            s0.assign(unique_id="s0_copy"),
            s0.assign(unique_id="s0_later", ds=s0["ds"] + pd.Timedelta(days=1)),
            s0.assign(unique_id="s0_nudged", y=nudged),
        ],
        ignore_index=True,
    )
    assert core.same_data(history) == {"s0_copy": "s0"}
    methods = ("seasonal_naive", "ets")
    fitted: list[set] = []
    each = core.backtest_series(history, methods)  # every series fitted, the copy too
    real = core.backtest_series
    monkeypatch.setattr(core, "backtest_series", lambda h, m: fitted.append(set(h["unique_id"])) or real(h, m))
    once = core.backtest(history, methods, workers=1)
    assert fitted == [set(history["unique_id"]) - {"s0_copy"}]
    pd.testing.assert_frame_equal(once, each, check_exact=True)
    chosen = core.methods_for(core.plan(history), core.accuracy(once))
    assert chosen["s0_copy"] == chosen["s0"]
    pd.testing.assert_frame_equal(
        core.forecast(history, chosen, 30, workers=1), core.forecast_series(history, chosen, 30), check_exact=True
    )
    other = {**chosen, "s0_copy": "ets" if chosen["s0"] == "seasonal_naive" else "seasonal_naive"}
    pd.testing.assert_frame_equal(
        core.forecast(history, other, 30, workers=1), core.forecast_series(history, other, 30), check_exact=True
    )


@pytest.mark.unit
def test_the_backtests_of_a_week_read_the_same_days():
    """The backtests end on the last Sunday on or before the origin (2026-03-01 and 2026-03-08 are Sundays) and
    read at most history_days - 6 days up to it: a history of 70 days kept up to any day of one week gives the
    same backtest rows. A series with 56 days up to that Sunday is backtested; with 55 (its 57 days reaching
    Tuesday) it falls back, too short, though its whole history would have been long enough."""
    assert [core.backtest_end(f"2026-03-0{d}").date() for d in (1, 2, 7, 8)] == [
        date(2026, 3, 1),
        date(2026, 3, 1),
        date(2026, 3, 1),
        date(2026, 3, 8),
    ]
    full = synthetic(9, series=2, days=90)  # 2026-01-05 to 2026-04-04 (a Saturday)
    week = []
    for origin in pd.date_range("2026-03-22", "2026-03-28"):  # a Sunday to a Saturday
        kept = full[(full["ds"] <= origin) & (full["ds"] > origin - pd.Timedelta(days=70))]
        week.append(core.backtest_history(kept, 70).reset_index(drop=True))
    for rows in week:
        pd.testing.assert_frame_equal(rows, week[0], check_exact=True)
    assert (week[0]["ds"].min(), week[0]["ds"].max()) == (pd.Timestamp("2026-01-18"), pd.Timestamp("2026-03-22"))
    start = pd.Timestamp("2026-01-05")  # 56 days up to Sunday 2026-03-01, the origin Tuesday 03-03
    long = pd.DataFrame({"unique_id": "s56", "ds": start + pd.to_timedelta(range(58), "D"), "y": 5.0})
    short = pd.DataFrame({"unique_id": "s55", "ds": start + pd.to_timedelta(range(1, 58), "D"), "y": 5.0})
    history = pd.concat([long, short, synthetic(9, series=1, days=60)], ignore_index=True)
    history = history[history["ds"] <= pd.Timestamp("2026-03-03")]
    tested = core.backtest_history(history, 365)
    assert tested.groupby("unique_id").size().to_dict() == {"s0": 56, "s55": 55, "s56": 56}
    plan = core.plan(history, tested).set_index("unique_id")
    assert plan["mode"].to_dict() == {"s0": "backtest", "s55": "fallback", "s56": "backtest"}
    assert plan.loc["s55", ["fallback_reason", "history_days"]].tolist() == ["too_short_for_backtest", 57]


@pytest.mark.unit
def test_a_series_keeps_its_backtest_rows_while_its_data_are_the_same(monkeypatch):
    """An earlier result's rows are reused by key: a series whose days and values are the same to the bit keeps
    them (a planted value shows they are not recomputed), one whose last value moved by 1e-9 or whose days moved
    a day is backtested again, and a copy of a reused series under a new id gets the same rows. Other methods
    give other keys. With nothing to reuse the result is accuracy(backtest()) itself."""
    methods = ("seasonal_naive", "ets")
    history = synthetic(6, series=4, days=70)
    first = core.accuracy_reusing(history, methods)
    alone = core.accuracy(core.backtest(history, methods)).sort_values(["unique_id", "method"], ignore_index=True)
    ordered = first.drop(columns="backtest_key").sort_values(["unique_id", "method"], ignore_index=True)
    pd.testing.assert_frame_equal(ordered, alone, check_exact=True)
    keys = core.backtest_keys(history, methods)
    assert len(set(keys.values())) == 4 and set(first["backtest_key"]) == set(keys.values())
    assert core.backtest_keys(history, ("seasonal_naive", "mstl"))["s0"] != keys["s0"]

    planted = first.copy()
    planted.loc[(planted["unique_id"] == "s0") & (planted["method"] == "ets"), "mase"] = 123.0
    s1, s2 = history["unique_id"] == "s1", history["unique_id"] == "s2"
    later = history.copy()
    later.loc[s1 & (later["ds"] == later["ds"].max()), "y"] += 1e-9
    later.loc[s2, "ds"] += pd.Timedelta(days=1)
    later = pd.concat([later, history[history["unique_id"] == "s3"].assign(unique_id="s3_copy")], ignore_index=True)
    fitted: list[set] = []
    real = core.backtest
    monkeypatch.setattr(core, "backtest", lambda h, m, w=None: fitted.append(set(h["unique_id"])) or real(h, m, w))
    again = core.accuracy_reusing(later, methods, planted)
    assert fitted == [{"s1", "s2"}]
    mase = again.set_index(["unique_id", "method"])["mase"]
    assert mase[("s0", "ets")] == 123.0  # reused, not recomputed
    fresh = core.accuracy(real(later[later["unique_id"].isin(["s1", "s2"])], methods))
    fresh = fresh.set_index(["unique_id", "method"])
    for uid in ("s1", "s2"):
        for method in methods:
            assert mase[(uid, method)] == fresh.loc[(uid, method), "mase"]
    copy = again[again["unique_id"] == "s3_copy"].drop(columns="unique_id").reset_index(drop=True)
    s3 = first[first["unique_id"] == "s3"].drop(columns="unique_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(copy, s3, check_exact=True)
    assert again.dtypes.astype(str).to_dict() == {**core.ACCURACY_COLUMNS, "backtest_key": "object"}
    assert [core.switch(v, "forecast_reuse_backtests") for v in (True, "True", " false ", False)] == [
        True,
        True,
        False,
        False,
    ]
    with pytest.raises(ValueError, match="forecast_reuse_backtests: 'no' is neither true nor false"):
        core.switch("no", "forecast_reuse_backtests")


@pytest.mark.unit
def test_candidates_always_include_seasonal_naive():
    assert core.candidates(None) == ("seasonal_naive", "ets", "mstl")
    assert core.candidates("ets, arima") == ("seasonal_naive", "ets", "arima")
    with pytest.raises(ValueError, match="prophet"):
        core.candidates("ets,prophet")


@pytest.mark.unit
def test_worked_example_8_price_decline():
    """6.67% a month compounded: 0.9333^12 = 0.4368 after 12 months (docs/design.md worked example 8)."""
    assert core.decline_factor(12 * core.DAYS_PER_MONTH, 6.67) == pytest.approx(0.9333**12, rel=1e-12)
    assert round(core.decline_factor(365.25, 6.67), 3) == 0.437
    assert core.decline_factor(0, 6.67) == 1.0
    assert round(core.decline_factor(365.25, 5), 4) == 0.5404  # 0.95^12, the seed's rate for claude-%


def _month(first_actual_days: int, sigma: float):
    """April 2026: day d costs 10 x d; days 1..first_actual_days actual, the rest forecast with a daily sigma."""
    days = [date(2026, 4, d) for d in range(1, 31)]
    cost = [10.0 * d for d in range(1, 31)]
    frame = pd.DataFrame({"ds": pd.to_datetime(days), "y": cost})
    actual = frame.iloc[:first_actual_days]
    forecast = frame.iloc[first_actual_days:].rename(columns={"y": "point"}).copy()
    forecast["lo_80"] = forecast["point"] - core.Z80 * sigma
    forecast["hi_80"] = forecast["point"] + core.Z80 * sigma
    return actual, forecast


@pytest.mark.unit
def test_budget_run_out_day_on_a_linear_series():
    """Cumulative cost to day d is 5 d (d + 1): 1,900 on the 19th, 2,100 on the 20th, 4,650 at month end. With
    10 actual days and 20 forecast days of sigma 10, the month-end sigma is 10 x sqrt(20) = 44.72."""
    actual, forecast = _month(10, sigma=10.0)
    outlook = core.month_outlook(actual, forecast, budget=2000.0)
    assert outlook["actual_to_date"] == 550.0  # 10 x (1 + ... + 10)
    assert outlook["forecast_month_end"] == 4650.0
    assert outlook["run_out_date"] == pd.Timestamp("2026-04-20")
    sd = 10 * math.sqrt(20)
    assert outlook["month_end_lo_80"] == pytest.approx(4650 - core.Z80 * sd)
    assert outlook["month_end_hi_80"] == pytest.approx(4650 + core.Z80 * sd)
    assert outlook["probability_over_budget"] == pytest.approx(1.0)
    # a budget one sigma above the forecast: P(over) = P(Z > 1) = 0.1587, and it never runs out
    above = core.month_outlook(actual, forecast, budget=4650 + sd)
    assert above["probability_over_budget"] == pytest.approx(0.15865525, abs=1e-8)
    assert above["run_out_date"] is None
    # already spent: the run-out day is an actual day
    spent = core.month_outlook(*_month(25, sigma=10.0), budget=2000.0)
    assert spent["run_out_date"] == pd.Timestamp("2026-04-20")


def _budget_status_warehouse(path, rows):
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.rpt_budget_status (scope varchar, scope_id varchar, month date, budget_usd double, "
        "is_month_closed boolean, is_forecast_complete boolean, forecast_month_end_usd double, "
        "month_end_lo_80_usd double, month_end_hi_80_usd double, probability_over_budget double, run_out_date date)"
    )
    con.executemany("insert into marts.rpt_budget_status values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.close()


@pytest.mark.unit
@pytest.mark.parametrize("budget, passed", [(3000.0, False), (3300.0, True)])
def test_budget_check_warns_when_the_forecast_exceeds_the_budget(tmp_path, budget, passed):
    """The Dagster check itself, on a warehouse whose April forecast is $3,075.66 (80%: 2,914.36 to 3,236.97):
    against $3,000 it fails (a warning) with the numbers in its description, against $3,300 it passes. A closed
    month over its budget is history, not a forecast: it does not count."""
    from dagster import AssetCheckSeverity, build_asset_check_context

    from orchestration.forecast.checks import budget_within_forecast
    from tests.conftest import work_settings

    april, march = date(2026, 4, 1), date(2026, 3, 1)
    run_out = date(2026, 4, 28) if budget < 3075.66 else None
    _budget_status_warehouse(
        tmp_path / "warehouse.duckdb",
        [
            ("total", "(all)", april, budget, False, True, 3075.66, 2914.36, 3236.97, 0.63, run_out),
            ("total", "(all)", march, 100.0, True, True, 2988.55, 2988.55, 2988.55, 1.0, date(2026, 3, 2)),
        ],
    )
    context = build_asset_check_context(resources={"finops": work_settings(tmp_path)})
    result = budget_within_forecast(context)
    assert result.passed is passed
    assert result.severity == AssetCheckSeverity.WARN
    assert result.metadata["open_budgets"].value == 1
    if passed:
        assert result.description.startswith("all 1 open budget(s) forecast within")
    else:
        assert result.description == (
            "1 of 1 open budget(s) forecast over: total (all) 2026-04: forecast $3,075.66 "
            "(80%: $2,914.36 to $3,236.97) against a budget of $3,000.00; 63% likely over; runs out 2026-04-28"
        )


# --- the forecast marts of a whole pipeline run (the `billed` session build: 60 days from 2026-01-01) ---


@pytest.fixture(scope="module")
def forecast_run(billed):
    work, _, instance, ok = billed
    assert ok
    return work, instance


@pytest.mark.pipeline
def test_every_series_is_forecast_with_ordered_intervals(forecast_run):
    work, _ = forecast_run
    series = query(work, "select count(distinct series_id) from intermediate.int_forecast_history")[0][0]
    [(forecast_series, rows, bad)] = query(
        work,
        "select count(distinct series_id), count(*), count(*) filter (where not (lo_95 <= lo_80 and lo_80 <= point "
        "and point <= hi_80 and hi_80 <= hi_95 and lo_95 >= 0)) from marts.fct_forecast_daily",
    )
    assert series > 50 and forecast_series == series
    assert rows == series * 180 and bad == 0
    # the method of a backtested series is the one its backtest chose; the others are flagged fallbacks
    [(mismatched, unflagged)] = query(
        work,
        "select count(*) filter (where not f.is_fallback and f.method <> a.method), "
        "count(*) filter (where a.method is null and not f.is_fallback) "
        "from marts.fct_forecast_daily as f left join marts.rpt_forecast_accuracy as a "
        "on f.series_id = a.series_id and a.is_chosen",
    )
    assert (mismatched, unflagged) == (0, 0)
    sql = "select count(*), count(distinct series_id) from marts.rpt_forecast_accuracy where is_chosen"
    [(chosen, chosen_series)] = query(work, sql)
    assert chosen == chosen_series > 0


@pytest.mark.pipeline
def test_the_budget_check_ran_in_the_pipeline(forecast_run):
    from dagster import AssetCheckKey, AssetKey

    work, instance = forecast_run
    key = AssetCheckKey(AssetKey(["marts", "rpt_budget_status"]), "budget_within_forecast")
    [record] = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
    evaluation = record.event.dagster_event.event_specific_data
    over = query(
        work,
        "select count(*) from marts.rpt_budget_status where not is_month_closed and is_forecast_complete "
        "and forecast_month_end_usd > budget_usd",
    )[0][0]
    assert evaluation.passed is (over == 0)


@pytest.mark.pipeline
def test_price_scenarios_follow_the_decline_rates(forecast_run):
    """Per row: the decline factor is (1 - rate)^(h / 30.4375) with the most specific seed rate (claude-%: 5%,
    else 6.67%), and only the on-demand share declines."""
    work, _ = forecast_run
    rows = query(
        work,
        "select model_id, horizon_days, monthly_decline_pct, decline_factor, on_demand_share, price_book_factor, "
        "cost_as_observed_usd, cost_price_decline_usd from marts.rpt_forecast_cost_scenarios",
    )
    assert rows
    for model, h, pct, factor, share, book, observed, declined in rows:
        assert float(pct) == (5.0 if model.startswith("claude-") else 6.67)
        assert factor == pytest.approx((1 - float(pct) / 100) ** (h / 30.4375), rel=1e-9)
        assert declined == pytest.approx(observed * (share * book * factor + 1 - share), rel=1e-9, abs=1e-12)


@pytest.mark.pipeline
def test_rollout_projection_from_the_per_transaction_distribution(forecast_run):
    """research_agent (a pilot) at its target of 20,000 transactions a month: mean N x mu and variance
    N sigma^2 + N^2 sigma^2 / n, recomputed here from the transactions of the last 30 days."""
    work, _ = forecast_run
    [(n_tx, origin)] = query(work, "select count(*), max(started_date) from marts.fct_use_case_transactions")
    assert n_tx > 0
    since = origin - timedelta(days=30)
    costs = [
        float(c)
        for (c,) in query(
            work,
            "select total_cost_usd from marts.fct_use_case_transactions "
            f"where use_case_id = 'research_agent' and started_date > date '{since}'",
        )
    ]
    [(volume_basis, n, monthly, lo_80)] = query(
        work,
        "select volume_basis, projected_transactions_per_month, monthly_cost_usd, monthly_cost_usd_lo_80 "
        "from marts.rpt_rollout_projection where use_case_id = 'research_agent'",
    )
    mu, var, sample = np.mean(costs), np.var(costs, ddof=1), len(costs)
    assert volume_basis == "target volume" and n == 20000
    assert monthly == pytest.approx(20000 * mu, rel=1e-9)
    sd = math.sqrt(20000 * var + 20000**2 * var / sample)
    assert lo_80 == pytest.approx(20000 * mu - 1.2815515655 * sd, rel=1e-9)


@pytest.mark.pipeline
def test_a_new_use_case_with_five_days_gets_the_fallback(forecast_run, tmp_path):
    """Five days of a use case that did not exist before, added to a copy of the warehouse: its series are
    forecast by the historic average, flagged too_short_for_seasonality, 180 days each; nothing crashes."""
    work, _ = forecast_run
    copy = copy_of(work, tmp_path)
    con = duckdb.connect(str(copy / "warehouse.duckdb"))
    origin = con.execute("select max(event_date) from marts.fct_genai_requests").fetchone()[0]
    con.execute(
        "insert into marts.fct_genai_requests select * replace ('brand_new_pilot' as use_case_id) "
        "from marts.fct_genai_requests where use_case_id = 'support_chatbot' and event_date > ?",
        [origin - timedelta(days=5)],
    )
    daily = con.execute(
        "select event_date, sum(request_count) from marts.fct_genai_requests "
        "where use_case_id = 'brand_new_pilot' group by 1 order by 1"
    ).fetchall()
    con.close()
    assert len(daily) == 5
    # the forecasts read the request fact's daily sums: rebuilt whole with the five new days
    select = ("int_requests_daily", "int_forecast_history+", "--full-refresh")
    run_dbt(copy, "build", "--select", *select, "--exclude", "test_type:unit")
    rows = query(
        copy,
        "select method, is_fallback, fallback_reason, history_days, count(*), min(point), max(point) "
        "from marts.fct_forecast_daily where scope = 'use_case' and use_case_id = 'brand_new_pilot' "
        "and metric = 'requests' group by all",
    )
    mean = sum(count for _, count in daily) / 5
    assert len(rows) == 1
    method, flagged, reason, history_days, count, low, high = rows[0]
    assert (method, flagged, reason, history_days, count) == (
        "historic_average",
        True,
        "too_short_for_seasonality",
        5,
        180,
    )
    assert low == pytest.approx(mean) and high == pytest.approx(mean)


@pytest.mark.pipeline
def test_a_rebuild_on_the_same_data_keeps_the_backtest_rows(forecast_run, tmp_path):
    """rpt_forecast_accuracy built again on the same history keeps its rows by backtest_key: a value planted in
    one row stays (reused, not recomputed) and every other row is the same to the bit; with var
    `forecast_reuse_backtests` false every series is backtested again and the planted value is gone."""
    work, _ = forecast_run
    copy = copy_of(work, tmp_path)
    sql = "select * from marts.rpt_forecast_accuracy order by series_id, method"
    before = query(copy, sql)
    [(end,)] = query(copy, "select distinct backtest_end from marts.rpt_forecast_accuracy")
    assert end == date(2026, 3, 1)  # the billed run's 60 days end on a Sunday
    con = duckdb.connect(str(copy / "warehouse.duckdb"))
    [(series,)] = con.execute(
        "select min(series_id) from marts.rpt_forecast_accuracy where method = 'ets' and mase is not null"
    ).fetchall()
    con.execute("update marts.rpt_forecast_accuracy set mase = 123.0 where series_id = ? and method = 'ets'", [series])
    con.close()
    run_dbt(copy, "run", "--select", "rpt_forecast_accuracy")
    again = query(copy, sql)
    columns = [c[0] for c in query(copy, "describe marts.rpt_forecast_accuracy")]
    mase, key, method = columns.index("mase"), columns.index("series_id"), columns.index("method")

    def planted(row) -> bool:
        return row[key] == series and row[method] == "ets"

    assert [row[mase] for row in again if planted(row)] == [123.0]
    assert [row for row in again if not planted(row)] == [row for row in before if not planted(row)]
    run_dbt(copy, "run", "--select", "rpt_forecast_accuracy", "--vars", "{forecast_reuse_backtests: false}")
    assert query(copy, sql) == before


@pytest.mark.unit
def test_no_series_long_enough_to_backtest_gives_typed_empty_frames():
    """A warehouse of 30 days (or none): no backtest, typed empty accuracy (a table with its columns), every
    series still forecast by its fallback."""
    short = synthetic(5, series=2, days=30)
    planned, scores, forecasts = core.fit(short, 7)
    assert scores.empty and list(scores.columns) == list(core.ACCURACY_COLUMNS)
    assert scores.dtypes.astype(str).to_dict() == core.ACCURACY_COLUMNS
    assert set(planned["fallback_reason"]) == {"too_short_for_backtest"}
    assert len(forecasts) == 2 * 7
    planned, scores, forecasts = core.fit(short.iloc[0:0], 7)
    assert planned.empty and scores.empty and forecasts.empty
    assert list(forecasts.columns) == list(core.FORECAST_COLUMNS)
