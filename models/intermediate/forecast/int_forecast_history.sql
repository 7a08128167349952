-- One row per forecast series and UTC day: the series' daily value from its first active day to the forecast
-- origin (the newest day of requests), zeros included. A series is one metric (requests, tokens, cost_usd =
-- effective on-demand + capacity, value_usd) of one scope: a use case on a platform and model
-- ('use_case_model'), a use case, a platform, a team (the use case's owner), or the total. The last
-- `forecast_history_days` days (var, 365) are kept.
-- A table, not a view: its five tests and the four forecast models that read it would each run its aggregations
-- again, and they sit on the way to the forecasts.
{{ config(materialized='table') }}
{%- set history_days = var('forecast_history_days', 365) | int %}
with origin as (
    select max(event_date) as origin_date
    from {{ ref('int_requests_daily') }}
),

use_cases as (
    select
        use_case_id,
        owner_team
    from {{ ref('dim_use_cases') }}
),

requests as (
    select
        requests.event_date as ds,
        requests.use_case_id,
        requests.platform,
        requests.model_id,
        coalesce(use_cases.owner_team, 'unknown') as team,
        sum(requests.requests) as requests,
        sum(requests.input_tokens + requests.output_tokens) as tokens,
        sum(coalesce(requests.total_cost_usd, 0)) as cost_usd
    from {{ ref('int_requests_daily') }} as requests
    cross join origin
    left join use_cases on requests.use_case_id = use_cases.use_case_id
    where requests.event_date > {{ dbt.dateadd('day', -history_days, 'origin.origin_date') }}
    group by 1, 2, 3, 4, 5
),

value as (
    select
        roi.event_date as ds,
        roi.use_case_id,
        coalesce(use_cases.owner_team, 'unknown') as team,
        sum(roi.value_usd) as value_usd
    from {{ ref('rpt_use_case_roi_daily') }} as roi
    cross join origin
    left join use_cases on roi.use_case_id = use_cases.use_case_id
    where
        roi.event_date > {{ dbt.dateadd('day', -history_days, 'origin.origin_date') }}
        and roi.event_date <= origin.origin_date
    group by 1, 2, 3
),

{%- set request_metrics = ['requests', 'tokens', 'cost_usd'] %}
{%- set scopes = [
    ('use_case_model', 'use_case_id', 'platform', 'model_id', "'(all)'"),
    ('use_case', 'use_case_id', "'(all)'", "'(all)'", "'(all)'"),
    ('platform', "'(all)'", 'platform', "'(all)'", "'(all)'"),
    ('team', "'(all)'", "'(all)'", "'(all)'", 'team'),
    ('total', "'(all)'", "'(all)'", "'(all)'", "'(all)'"),
] %}

observed as (
    {%- for scope, use_case, platform, model, team in scopes %}
    {%- set outer_last = loop.last %}
    {%- set metrics = request_metrics + (['value_usd'] if scope in ('use_case', 'team', 'total') else []) %}
    {%- for metric in metrics %}
    select
        '{{ scope }}' as scope,
        {{ use_case }} as use_case_id,  -- noqa: AL09
        {{ platform }} as platform,  -- noqa: AL09
        {{ model }} as model_id,  -- noqa: AL09
        {{ team }} as team,  -- noqa: AL09
        '{{ metric }}' as metric,
        ds,
        cast(sum({{ metric }}) as double) as y
    from {{ 'value' if metric == 'value_usd' else 'requests' }}
    group by 1, 2, 3, 4, 5, 6, 7
    {%- if not (loop.last and outer_last) %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endfor %}
),

series as (
    select
        scope,
        use_case_id,
        platform,
        model_id,
        team,
        metric,
        min(ds) as first_ds
    from observed
    where y <> 0
    group by 1, 2, 3, 4, 5, 6
),

days as (
    select {{ dbt.dateadd('day', '-n', 'origin.origin_date') }} as ds
    from ({{ integers(history_days) }}) as offsets
    cross join origin
),

spine as (
    select
        series.scope,
        series.use_case_id,
        series.platform,
        series.model_id,
        series.team,
        series.metric,
        days.ds
    from series
    inner join days on series.first_ds <= days.ds
),

final as (
    select
        spine.scope || '|' || spine.use_case_id || '|' || spine.platform || '|' || spine.model_id || '|'
        || spine.team || '|' || spine.metric as series_id,
        spine.scope,
        spine.use_case_id,
        spine.platform,
        spine.model_id,
        spine.team,
        spine.metric,
        cast(spine.ds as date) as ds,
        coalesce(observed.y, 0) as y
    from spine
    left join observed
        on spine.scope = observed.scope
        and spine.use_case_id = observed.use_case_id
        and spine.platform = observed.platform
        and spine.model_id = observed.model_id
        and spine.team = observed.team
        and spine.metric = observed.metric
        and spine.ds = observed.ds
)

select * from final
