"""Forecasting: backtested daily forecasts with intervals (statsforecast), price scenarios and budget outlooks.

The dbt Python models under models/marts/forecast call these functions; they hold no I/O of their own, so they
are tested on synthetic series (tests/test_forecast.py).
"""
