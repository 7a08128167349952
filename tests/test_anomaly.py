"""Anomalies: the Shapley cost decomposition on hand-computed cases, the robust seasonal detection, the alert
delivery to a real local webhook (failures, retries, once only). The demo's planted anomalies:
tests/test_anomaly_demo.py."""

from __future__ import annotations

import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pandas as pd
import pytest

from orchestration.anomaly import alerts, core

pytestmark = pytest.mark.unit


def period(transactions, ok_tokens, routes):
    """A period's components: routes as (model, route, tokens, cost, list_cost, no_cache_list_cost)."""
    frame = pd.DataFrame(routes, columns=["model", "route", "tokens", "cost", "list_cost", "no_cache_list_cost"])
    return {"transactions": transactions, "ok_tokens": ok_tokens, "routes": frame}


def cents(contributions, expected, observed):
    return core.to_cents(contributions, round(observed * 100) - round(expected * 100))


def test_volume_up_20_percent_with_a_price_cut_of_10_percent():
    # 1,000 transactions of 1,000 tokens at $10 per million: $10.00; then 1,200 transactions at $9: $10.80.
    # Shapley: volume = ((12 - 10) + (10.80 - 9)) / 2 = 1.90; price = ((9 - 10) + (10.80 - 12)) / 2 = -1.10
    before = period(1000, 1_000_000, [("m", "payg", 1_000_000, 10.0, 10.0, 10.0)])
    after = period(1200, 1_200_000, [("m", "payg", 1_200_000, 10.8, 10.8, 10.8)])
    expected, observed, contributions = core.decompose(before, after)
    assert (round(expected, 2), round(observed, 2)) == (10.0, 10.8)
    result = cents(contributions, expected, observed)
    assert result == {
        "volume": 190,
        "tokens_per_transaction": 0,
        "failures_retries": 0,
        "model_mix": 0,
        "spillover": 0,
        "cache": 0,
        "price": -110,
        "capacity": 0,
        "other": 0,
    }


def test_three_drivers_share_their_interactions_by_the_shapley_value():
    # $10 -> volume x1.2, tokens per transaction x1.5, price x0.9: $16.20. Each driver's share, with a = 1.2,
    # b = 1.5, c = 0.9: volume = 10 (a - 1) (1/3 + (b + c) / 6 + b c / 3) = 2.366667; tokens per transaction =
    # 10 (b - 1) (1/3 + (a + c) / 6 + a c / 3) = 5.216667; price = 10 (c - 1) (1/3 + (a + b) / 6 + a b / 3) =
    # -1.383333; 6.20 in all. In cents, the two remainders go to the first of the equal fractions: 237, 522, -139.
    before = period(1000, 1_000_000, [("m", "payg", 1_000_000, 10.0, 10.0, 10.0)])
    after = period(1200, 1_800_000, [("m", "payg", 1_800_000, 16.2, 16.2, 16.2)])
    expected, observed, contributions = core.decompose(before, after)
    assert contributions["volume"] == pytest.approx(2.366667, abs=1e-6)
    assert contributions["tokens_per_transaction"] == pytest.approx(5.216667, abs=1e-6)
    assert contributions["price"] == pytest.approx(-1.383333, abs=1e-6)
    assert contributions["other"] == pytest.approx(0, abs=1e-9)
    result = cents(contributions, expected, observed)
    assert (result["volume"], result["tokens_per_transaction"], result["price"]) == (237, 522, -139)


def test_a_broken_cache_is_the_cache_driver():
    # the same 1M tokens; with cache hits they cost half the list price without caching ($5 of $10), without: $10
    before = period(100, 1_000_000, [("m", "payg", 1_000_000, 5.0, 5.0, 10.0)])
    after = period(100, 1_000_000, [("m", "payg", 1_000_000, 10.0, 10.0, 10.0)])
    expected, observed, contributions = core.decompose(before, after)
    result = cents(contributions, expected, observed)
    assert result["cache"] == 500 and sum(abs(v) for k, v in result.items() if k != "cache") == 0


def test_spillover_beside_fixed_capacity():
    # provisioned capacity ($50 an hour, fixed) serves 1M tokens; then 150 instead of 100 transactions of 10k
    # tokens, and the extra 0.5M tokens spill over at $10 per million ($5). Only the spillover term moves:
    # spillover = (100 + 150) / 2 x 10k x 1/3 x $10/M = $4.17; volume = (150 - 100) / 2 x 10k x 1/3 x $10/M = $0.83
    before = period(100, 1_000_000, [("m", "provisioned", 1_000_000, 50.0, 0.0, 0.0)])
    after = period(
        150,
        1_500_000,
        [("m", "provisioned", 1_000_000, 50.0, 0.0, 0.0), ("m", "spillover", 500_000, 5.0, 5.0, 5.0)],
    )
    expected, observed, contributions = core.decompose(before, after)
    result = cents(contributions, expected, observed)
    assert (result["spillover"], result["volume"], result["capacity"]) == (417, 83, 0)
    assert sum(result.values()) == 500


def test_a_new_pricier_model_is_model_mix():
    # half the tokens move from model a ($1/M) to a new model b ($5/M): $1.00 -> $0.50 + $2.50 = $3.00
    before = period(10, 1_000_000, [("a", "payg", 1_000_000, 1.0, 1.0, 1.0)])
    after = period(10, 1_000_000, [("a", "payg", 500_000, 0.5, 0.5, 0.5), ("b", "payg", 500_000, 2.5, 2.5, 2.5)])
    expected, observed, contributions = core.decompose(before, after)
    result = cents(contributions, expected, observed)
    assert result["model_mix"] == 200 and sum(result.values()) == 200


def test_contributions_always_add_up_to_the_change_to_the_cent():
    rng = random.Random(7)
    for _ in range(200):

        def random_period():
            routes = []
            for model in rng.sample(["a", "b", "c"], rng.randint(1, 3)):
                for route in rng.sample(["payg", "provisioned", "spillover"], rng.randint(1, 2)):
                    tokens = rng.randint(0, 2_000_000)
                    listed = tokens * rng.uniform(0.1, 20) / 1e6
                    cost = listed * rng.uniform(0.5, 1.0) if route != "provisioned" else rng.uniform(0, 80)
                    routes.append((model, route, tokens, round(cost, 6), listed, listed / rng.uniform(0.3, 1)))
            tokens = sum(r[2] for r in routes)
            return period(rng.randint(0, 500), int(tokens * rng.uniform(0.5, 1)), routes)

        expected, observed, contributions = core.decompose(random_period(), random_period())
        assert abs(sum(contributions.values()) - (observed - expected)) < 1e-6
        result = cents(contributions, expected, observed)
        assert sum(result.values()) == round(observed * 100) - round(expected * 100)


def test_cents_follow_the_largest_remainders():
    assert core.to_cents({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, 100) == {"a": 34, "b": 33, "c": 33}
    assert core.to_cents({"a": -0.005, "b": -0.005}, -1) == {"a": 0, "b": -1}


def test_shapley_of_a_product_splits_the_interaction_evenly():
    # f = x * y from (1, 1) to (2, 3): 6 - 1 = 5; x: ((2 - 1) + (6 - 3)) / 2 = 2; y: ((3 - 1) + (6 - 2)) / 2 = 3
    # the game's value per coalition, bit 0: x moved, bit 1: y moved
    assert core.shapley_of_table(np.array([1.0, 2.0, 3.0, 6.0]), 2).tolist() == [2.0, 3.0]


def weekly_series(weeks: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    week = np.array([100, 110, 105, 108, 95, 20, 15], dtype=float)
    return np.tile(week, weeks) * rng.normal(1, 0.05, 7 * weeks)


def core_scale(scale, expected):
    """The detection's scale: none without residual history, else at least 10% of the expected value."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(scale), np.nan, np.fmax(scale, core.REL_FLOOR * np.abs(expected)))


def z_of(values, expected, scale):
    with np.errstate(invalid="ignore", divide="ignore"):
        return (values - expected) / core_scale(scale, expected)


def test_the_baseline_median_is_numpys_to_the_last_bit():
    """The decomposition's baselines take the median of a few weeks per route and component at once: the same
    float as np.median, ties and zeros included."""
    from orchestration.anomaly.frames import median_of_lags

    rng = np.random.default_rng(7)
    for weeks in (1, 2, 3, 4, 5):
        values = rng.normal(size=(5_000, weeks)) * 10.0 ** rng.integers(-3, 9, size=(5_000, 1))
        values[rng.random(size=values.shape) < 0.3] = 0.0
        values[:1_000] = np.round(values[:1_000], 2)
        assert np.array_equal(median_of_lags(values), np.median(values, axis=1))


def test_periods_decomposed_at_once_are_each_the_same_floats_as_alone():
    """decompose_many (every anomalous period of a level at once) gives each period, to the last bit, what the
    period alone gives (core.decompose) and what an independent per-period implementation of the factor model
    gives (tests/reference_decomposition.py): expected, observed and every driver's contribution. Random periods
    of up to 12 routes, with the cases where a factor is undefined: no transactions, no successful tokens, a
    model or a route in one period only, zero tokens, no list cost without caching."""
    from tests import reference_decomposition

    rng = random.Random(11)

    def random_period():
        if rng.random() < 0.1:
            return rng.choice([0, 5]), 0, []
        routes = []
        for model in sorted(rng.sample(["a", "b", "c", "d"], rng.randint(1, 4))):
            for route in sorted(rng.sample(["payg", "provisioned", "spillover"], rng.randint(1, 3))):
                tokens = rng.choice([0, rng.randint(0, 2_000_000)])
                listed = tokens * rng.uniform(0.1, 20) / 1e6
                cost = listed * rng.uniform(0.5, 1.0) if route != "provisioned" else rng.uniform(0, 80)
                no_cache = rng.choice([0.0, listed / rng.uniform(0.3, 1)])
                routes.append((model, route, tokens, round(cost, 6), listed, no_cache))
        tokens = sum(r[2] for r in routes)
        return rng.choice([0, rng.randint(1, 500)]), rng.choice([0, int(tokens * rng.uniform(0.5, 1))]), routes

    pairs = [(random_period(), random_period()) for _ in range(400)]
    rows, transactions, ok_tokens = [], np.zeros((2, len(pairs))), np.zeros((2, len(pairs)))
    for t, pair in enumerate(pairs):
        for side, (count, ok, routes) in enumerate(pair):
            transactions[side, t], ok_tokens[side, t] = count, ok
            rows += [(t, side, *r) for r in routes]
    routes = pd.DataFrame(rows, columns=["t", "side", "model", "route", *core.ROUTE_FIELDS])
    shuffled = routes.sample(frac=1, random_state=3)  # in any order
    expected, observed, contributions = core.decompose_many(shuffled, transactions, ok_tokens)
    assert contributions.shape == (400, len(core.DRIVERS) + 1)
    for t, pair in enumerate(pairs):
        before, after = (period(count, ok, routes) for count, ok, routes in pair)
        at_once = (expected[t], observed[t], contributions[t].tolist())
        for decompose in (core.decompose, reference_decomposition.decompose):
            alone = decompose(before, after)
            assert at_once == (alone[0], alone[1], list(alone[2].values()))


def test_an_episodes_other_signals_are_the_other_metrics_of_its_series_and_periods():
    """What pandas' filter of every signal per episode gave (the same series, one of the episode's periods,
    another metric), from one pass over the signals; a series with a missing key value has none."""
    from orchestration.anomaly.frames import metrics_by_series_and_period, other_signals

    day = pd.Timestamp("2026-03-01")
    rows = [
        ("a", "m1", 0, "cost_usd"), ("a", "m1", 0, "requests"), ("a", "m1", 1, "tokens"), ("a", "m1", 3, "cache"),
        ("a", "m2", 0, "failures"), ("b", "m1", 0, "volume"), (None, "m1", 0, "requests"), (None, "m1", 0, "x"),
        (float("nan"), "m1", 0, "requests"), (float("nan"), "m1", 0, "y"),
    ]  # fmt: skip
    signals = pd.DataFrame(
        [(u, m, day + pd.Timedelta(days=d), metric) for u, m, d, metric in rows],
        columns=["use_case_id", "model_id", "period_start", "metric"],
    )
    keys = ["use_case_id", "model_id"]
    flagged = metrics_by_series_and_period(signals, keys)
    cases = [(("a", "m1"), [0, 1], "cost_usd"), (("a", "m1"), [2], "cost_usd"), (("b", "m1"), [0], "volume")]
    cases += [((None, "m1"), [0], "requests"), ((float("nan"), "m1"), [0], "requests"), (("a", "m1"), [3], "x")]
    for key_values, days, metric in cases:
        periods = pd.Series([day + pd.Timedelta(days=d) for d in days])
        others = signals[(signals["metric"] != metric) & signals["period_start"].isin(periods)]
        for k, v in zip(keys, key_values, strict=True):
            others = others[others[k] == v]
        expected = ",".join(sorted(set(others["metric"]))) or None
        assert other_signals(flagged, key_values, periods, metric) == expected
    assert other_signals(flagged, ("a", "m1"), pd.Series([day, day + pd.Timedelta(days=1)]), "cost_usd") == (
        "requests,tokens"
    )
    assert other_signals(flagged, (None, "m1"), pd.Series([day]), "requests") is None


def test_an_episodes_expected_cost_is_the_median_of_its_own_series_four_weeks_before():
    """build_episodes reads each series' components together (only the episodes' periods and the same weekday
    of the four weeks before): the expected cost of a day is still the median of that series' own four lags.
    Two use cases in one frame, every other day at $5: use case a's Thursdays before 2026-01-29 cost $10, $12,
    $14 and $40 (1 to 4 weeks back): median $13.00, then $100 -> impact $87.00; b's $1, $2, $3, $4: median
    $2.50, then $50 -> impact $47.50. A lag left out (read as $0) or another series' rows would move them."""
    from orchestration.anomaly.frames import build_episodes

    day = pd.Timestamp("2026-01-29")
    special = {
        "a": {0: 100.0, 7: 10.0, 14: 12.0, 21: 14.0, 28: 40.0},
        "b": {0: 50.0, 7: 1.0, 14: 2.0, 21: 3.0, 28: 4.0},
    }
    rows = []
    for use_case, costs in special.items():
        for back in range(28, -1, -1):
            cost = costs.get(back, 5.0)
            event_date = day - pd.Timedelta(days=back)
            rows.append(
                {
                    "use_case_id": use_case, "platform": "openai", "model_id": "m", "model": "openai/m",
                    "route": "payg", "deployment_id": None, "hour_at": event_date + pd.Timedelta(hours=12),
                    "event_date": event_date, "requests": 10.0, "failed_requests": 0.0, "transactions": 10.0,
                    "tokens": cost * 1000, "ok_tokens": cost * 1000, "input_tokens": cost * 1000,
                    "cached_input_tokens": 0.0, "cost_usd": cost, "list_cost_usd": cost,
                    "no_cache_list_cost_usd": cost, "spillover_requests": 0.0, "capacity_requests": 0.0,
                }
            )  # fmt: skip
    components = pd.DataFrame(rows)
    signals = pd.DataFrame(
        [
            {
                "grain": "day", "level": "use_case", "use_case_id": use_case, "platform": None, "model_id": None,
                "deployment_id": None, "period_start": day, "metric": "cost_usd", "value": costs[0],
                "expected": 0.0, "scale": 1.0, "z": 9.0,
            }
            for use_case, costs in special.items()
        ]
    )  # fmt: skip
    episodes = build_episodes(components, signals).set_index("use_case_id")
    assert episodes.loc["a", ["observed_cost_usd", "expected_cost_usd", "impact_usd"]].tolist() == [100.0, 13.0, 87.0]
    assert episodes.loc["b", ["observed_cost_usd", "expected_cost_usd", "impact_usd"]].tolist() == [50.0, 2.5, 47.5]
    drivers = [f"{d}_usd" for d in (*core.DRIVERS, "other")]
    assert round(episodes.loc["a", drivers].sum(), 2) == 87.0 and round(episodes.loc["b", drivers].sum(), 2) == 47.5


def test_the_weekly_pattern_alone_raises_nothing_and_a_spike_is_found():
    for seed in range(5):
        values = weekly_series(10, seed)
        expected, scale = core.seasonal_scores(values, 7)
        z = z_of(values, expected, scale)
        assert not np.any(np.abs(z[~np.isnan(z)]) >= 5), seed
        values[60] *= 2  # a Friday at twice its usual volume
        expected, scale = core.seasonal_scores(values, 7)
        z = z_of(values, expected, scale)
        assert np.flatnonzero(np.abs(np.nan_to_num(z)) >= 5).tolist() == [60], seed


def test_hours_are_judged_by_the_noise_of_the_same_hour():
    # a nightly batch: busy from 01:00 to 04:00, nothing otherwise; 6 weeks; one busy hour 60% above usual
    rng = np.random.default_rng(3)
    hours = 24 * 7 * 6
    busy = np.isin(np.arange(hours) % 24, [1, 2, 3, 4])
    values = np.where(busy, rng.normal(100, 15, hours), 0.0)
    expected, scale = core.seasonal_scores(values, 168)
    z = z_of(values, expected, scale)
    quiet_flags = np.abs(np.nan_to_num(z)) >= 5
    assert quiet_flags.sum() == 0  # the night's spread is the scale, not the zeros of the other hours
    values[hours - 22] = 160  # 02:00 on the last day
    expected, scale = core.seasonal_scores(values, 168)
    z = z_of(values, expected, scale)
    assert abs(z[hours - 22]) < 5  # within a busy hour's noise (sigma ~15): not an anomaly
    values[hours - 22] = 250
    expected, scale = core.seasonal_scores(values, 168)
    z = z_of(values, expected, scale)
    assert z[hours - 22] >= 5


def reference_scores(values: np.ndarray, season: int) -> tuple[np.ndarray, np.ndarray]:
    """seasonal_scores of one series spelled with pandas, period by period: the median of the same slot over the
    previous four seasons (at least three), 1.4826 x pandas' rolling median of the absolute residuals over the 28
    days before (at least 7; hours: of the same hour of the day)."""
    n = len(values)
    lags = [pd.Series(values).shift(w * season) for w in range(1, 5)]
    lagged = pd.concat(lags, axis=1)
    expected = lagged.median(axis=1, skipna=True).where(lagged.notna().sum(axis=1) >= 3).to_numpy()
    residual = pd.Series(np.abs(values - expected))
    if season == 168:
        mad = np.full(n, np.nan)
        for hour in range(24):
            slot = residual.iloc[hour::24].reset_index(drop=True)
            mad[hour::24] = slot.rolling(28, min_periods=7).median().shift(1).to_numpy()
    else:
        mad = residual.rolling(28, min_periods=7).median().shift(1).to_numpy()
    return expected, 1.4826 * mad


@pytest.mark.parametrize("season, values_at_once", [(7, None), (168, None), (168, 1)])
def test_series_scored_together_score_as_each_alone(season, values_at_once, monkeypatch):
    if values_at_once:  # the trailing windows sorted a row at a time (the memory bound of many long series)
        monkeypatch.setattr(core, "WINDOW_VALUES_AT_ONCE", values_at_once)
    # series of different lengths on one grid (NaN before each one starts), with gaps (NaN: an undefined ratio)
    rng = np.random.default_rng(11)
    periods = season * 9 + 5
    grid = rng.gamma(2.0, 50.0, (6, periods)).round(1)  # rounded: ties in the medians
    grid[grid < 30] = np.nan
    starts = [0, 1, 23, season + 3, periods - season * 5, periods - 10]
    for row, start in enumerate(starts):
        grid[row, :start] = np.nan
    expected, scale = core.seasonal_scores(grid, season)
    for row, start in enumerate(starts):
        alone_expected, alone_scale = core.seasonal_scores(grid[row, start:], season)
        want_expected, want_scale = reference_scores(grid[row, start:], season)
        np.testing.assert_array_equal(alone_expected, want_expected)
        np.testing.assert_array_equal(alone_scale, want_scale)
        np.testing.assert_array_equal(expected[row, start:], want_expected)
        np.testing.assert_array_equal(scale[row, start:], want_scale)
        assert np.isnan(expected[row, :start]).all() and np.isnan(scale[row, :start]).all()
    assert np.isfinite(scale).sum() > periods  # enough history for most periods: the comparison compared numbers


# --- alerts --------------------------------------------------------------------------------------------------------


class Webhook:
    """A local HTTP server standing in for a Slack incoming webhook: answers each POST with the next status of
    `script` (then 200), records the JSON bodies it accepted."""

    def __init__(self, script=()):
        self.script = list(script)
        self.accepted: list[dict] = []
        self.attempts = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.attempts += 1
                status = hook.script.pop(0) if hook.script else 200
                if status == 200:
                    hook.accepted.append(json.loads(body))
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"no")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/secret-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


def sample_alerts(n):
    return [{"key": f"anomaly:a{i}", "kind": "anomaly", "text": f"Cost anomaly {i}"} for i in range(n)]


def config(tmp_path, **sink):
    path = tmp_path / "alerts.yml"
    path.write_text(
        "sinks:\n"
        "  - {name: file, type: jsonl, path: out/alerts.jsonl}\n"
        "  - {name: slack, type: webhook, url_env: TEST_WEBHOOK_URL, retries: 2, backoff_seconds: 0.5}\n"
    )
    return alerts.load_config(path)


def test_each_alert_reaches_the_webhook_once_after_a_failed_delivery(tmp_path, monkeypatch, webhook):
    monkeypatch.setenv("TEST_WEBHOOK_URL", webhook.url)
    webhook.script = [500, 429]  # the first alert's first two attempts fail; the third is accepted
    waits = []
    cfg = config(tmp_path)
    state = tmp_path / "warehouse.duckdb.alerts"
    report = alerts.deliver(sample_alerts(3), cfg, state, sleep=waits.append)
    assert report.sent == {"file": 3, "slack": 3} and not report.failed
    assert waits == [0.5, 0.0]  # exponential backoff, then the Retry-After of the 429
    assert webhook.attempts == 5
    assert [p["text"] for p in webhook.accepted] == ["Cost anomaly 0", "Cost anomaly 1", "Cost anomaly 2"]
    assert webhook.accepted[0]["blocks"][0]["text"]["text"] == "Cost anomaly 0"  # Slack's block format
    # a rerun, and a rerun with one new alert: only the new one is sent, to each sink
    again = alerts.deliver(sample_alerts(3), cfg, state, sleep=waits.append)
    assert again.sent == {"file": 0, "slack": 0} and again.already == {"file": 3, "slack": 3}
    alerts.deliver(sample_alerts(4), cfg, state, sleep=waits.append)
    assert len(webhook.accepted) == 4
    lines = (tmp_path / "out" / "alerts.jsonl").read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == [f"anomaly:a{i}" for i in range(4)]
    # the URL (a secret) is nowhere: not in the delivery log, the report, the file sink
    for path in (state / "delivered.jsonl", tmp_path / "out" / "alerts.jsonl"):
        assert "secret-token" not in path.read_text()
    assert "secret-token" not in again.summary()


def test_a_webhook_that_keeps_failing_keeps_its_alerts_for_the_next_run(tmp_path, monkeypatch, webhook):
    monkeypatch.setenv("TEST_WEBHOOK_URL", webhook.url)
    webhook.script = [503, 503, 503]  # 1 attempt + 2 retries, all failing
    cfg = config(tmp_path)
    state = tmp_path / "state"
    report = alerts.deliver(sample_alerts(2), cfg, state, sleep=lambda s: None)
    assert report.sent == {"file": 2, "slack": 0}
    assert "3 attempts failed (last: HTTP 503)" in report.failed["slack"]
    assert "secret-token" not in report.failed["slack"]
    report = alerts.deliver(sample_alerts(2), cfg, state, sleep=lambda s: None)
    assert report.sent == {"file": 0, "slack": 2}
    assert [p["text"] for p in webhook.accepted] == ["Cost anomaly 0", "Cost anomaly 1"]


def test_an_unset_webhook_is_skipped_and_a_url_in_the_file_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("TEST_WEBHOOK_URL", raising=False)
    report = alerts.deliver(sample_alerts(1), config(tmp_path), tmp_path / "state")
    assert report.skipped == {"slack": "$TEST_WEBHOOK_URL is not set"} and report.sent == {"file": 1}
    bad = tmp_path / "bad.yml"
    bad.write_text("sinks:\n  - {type: webhook, url: 'https://hooks.slack.com/services/x'}\n")
    with pytest.raises(ValueError, match="url_env"):
        alerts.load_config(bad)
    bad.write_text("sinks:\n  - {type: jsonl, file: alerts.jsonl}\n")
    with pytest.raises(ValueError, match=r"sink 1: unknown setting\(s\) \['file'\]"):
        alerts.load_config(bad)


def test_the_project_alert_configuration_loads():
    cfg = alerts.load_config(alerts.DEFAULT_CONFIG)
    assert cfg.grains == ("day",) and [s.type for s in cfg.sinks] == ["jsonl", "webhook"]
