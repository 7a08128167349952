-- One row per day, 2024-01-01 through 2030-12-31: the time spine MetricFlow joins metrics to
-- (models/marts/semantic/_semantic__models.yml). dbt's own cross-database date_spine, so Spark builds it too.
{{ config(materialized='table') }}

select cast(date_day as date) as date_day
from (
    {{ dbt.date_spine('day', "cast('2024-01-01' as date)", "cast('2031-01-01' as date)") }}
) as spine
