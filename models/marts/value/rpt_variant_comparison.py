"""One row per A/B-tested use case, variant and metric: the variant's estimate with a confidence interval,
the difference from the control with its interval and p-value, and the verdict.

Metrics and tests (two-sided, at the test's alpha from the ab_tests seed):
- success_rate: two-proportion z-test (pooled standard error); Wald intervals.
- cost_per_transaction, net_value_per_transaction (USD): Welch's t-test (unequal variances, Welch-
  Satterthwaite degrees of freedom); t intervals.
- cost_per_success (USD): ratio of sums; delta-method standard errors, z-test on the difference.
A winner is named only when p < alpha; otherwise the verdict is 'no significant difference'.
Inputs are the sufficient statistics of int_variant_stats (computed in SQL), so only a few rows reach Python.
"""

import math


def _welch(m1, v1, n1, m0, v0, n0):
    from scipy import stats

    se = math.sqrt(v1 / n1 + v0 / n0)
    if se == 0:
        return None, None, None
    t = (m1 - m0) / se
    df = (v1 / n1 + v0 / n0) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v0 / n0) ** 2 / (n0 - 1))
    return se, df, 2 * stats.t.sf(abs(t), df)


def compare(stats_rows):
    from scipy import stats

    out = []
    for use_case_id, group in stats_rows.groupby("use_case_id"):
        control = group[group["is_control"]]
        if control.empty:
            continue
        c = control.iloc[0]
        for _, v in group.iterrows():
            alpha = float(v["alpha"])
            z_crit = stats.norm.ppf(1 - alpha / 2)
            n, n0 = int(v["n"]), int(c["n"])
            rows = []
            # success rate
            p1, p0 = v["successes"] / n, c["successes"] / n0
            se1 = math.sqrt(p1 * (1 - p1) / n)
            pooled = (v["successes"] + c["successes"]) / (n + n0)
            se_pool = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / n0))
            se_diff = math.sqrt(p1 * (1 - p1) / n + p0 * (1 - p0) / n0)
            p_value = 2 * stats.norm.sf(abs((p1 - p0) / se_pool)) if se_pool > 0 else None
            rows.append(
                ("success_rate", "higher", p1, p1 - z_crit * se1, p1 + z_crit * se1, p1 - p0, se_diff, z_crit, p_value)
            )
            # means: cost and net value per transaction (Welch)
            for metric, mean, var, direction in (
                ("cost_per_transaction", "mean_cost_usd", "var_cost", "lower"),
                ("net_value_per_transaction", "mean_net_value_usd", "var_net_value", "higher"),
            ):
                m1, v1, m0, v0 = float(v[mean]), float(v[var]), float(c[mean]), float(c[var])
                t1 = stats.t.ppf(1 - alpha / 2, n - 1)
                se_m = math.sqrt(v1 / n)
                se, df, p = _welch(m1, v1, n, m0, v0, n0)
                crit = stats.t.ppf(1 - alpha / 2, df) if df else None
                rows.append((metric, direction, m1, m1 - t1 * se_m, m1 + t1 * se_m, m1 - m0, se, crit, p))

            # cost per success: ratio of sums, delta method
            def ratio(r):
                nn = float(r["n"])
                mean_c, mean_s = float(r["mean_cost_usd"]), float(r["successes"]) / nn
                if mean_s == 0:
                    return None, None
                R = mean_c / mean_s
                var_r = float(r["var_cost"]) - 2 * R * float(r["cov_cost_success"]) + R * R * float(r["var_success"])
                return R, math.sqrt(max(var_r, 0.0) / nn) / mean_s

            r1, s1 = ratio(v)
            r0, s0 = ratio(c)
            if r1 is not None and r0 is not None:
                se = math.sqrt(s1 * s1 + s0 * s0)
                p = 2 * stats.norm.sf(abs((r1 - r0) / se)) if se > 0 else None
                rows.append(
                    ("cost_per_success", "lower", r1, r1 - z_crit * s1, r1 + z_crit * s1, r1 - r0, se, z_crit, p)
                )
            for metric, direction, est, lo, hi, diff, se, crit, p in rows:
                is_control = bool(v["is_control"])
                significant = (not is_control) and p is not None and p < alpha
                better = (diff < 0) if direction == "lower" else (diff > 0)
                out.append(
                    {
                        "use_case_id": use_case_id,
                        "variant_id": v["variant_id"],
                        "control_variant_id": c["variant_id"],
                        "is_control": is_control,
                        "metric": metric,
                        "better_when": direction,
                        "transactions": n,
                        "estimate": float(est),
                        "ci_low": float(lo),
                        "ci_high": float(hi),
                        "difference_vs_control": None if is_control else float(diff),
                        "difference_ci_low": None if is_control or se is None else float(diff - crit * se),
                        "difference_ci_high": None if is_control or se is None else float(diff + crit * se),
                        "p_value": None if is_control or p is None else float(p),
                        "alpha": alpha,
                        "is_significant": significant,
                        "verdict": "control"
                        if is_control
                        else (
                            "variant wins"
                            if significant and better
                            else "control wins"
                            if significant
                            else "no significant difference"
                        ),
                    }
                )
    return out


def model(dbt, session):
    dbt.config(materialized="table")
    import pandas as pd

    from orchestration.frames import to_pandas

    stats_rows = to_pandas(dbt.ref("int_variant_stats"))
    columns = [
        "use_case_id",
        "variant_id",
        "control_variant_id",
        "is_control",
        "metric",
        "better_when",
        "transactions",
        "estimate",
        "ci_low",
        "ci_high",
        "difference_vs_control",
        "difference_ci_low",
        "difference_ci_high",
        "p_value",
        "alpha",
        "is_significant",
        "verdict",
    ]
    return pd.DataFrame(compare(stats_rows), columns=columns)
