{{ config(materialized='incremental', on_schema_change='fail', **partition_replace_config('event_date')) }}
-- Transactions per use case and UTC hour of their start (fct_use_case_transactions: each counted once, in the
-- hour of its first call), the volume of the anomaly detection and of its cost decomposition. Incremental by
-- the day the transactions started, as fct_use_case_transactions rebuilds them: a daily run counts the window's
-- transactions, not every transaction of the history (the anomaly signals, the episodes and this model's test
-- each read it).
select
    started_date as event_date,
    {{ dbt.date_trunc('hour', 'started_at') }} as hour_at,
    use_case_id,
    count(*) as transactions
from {{ ref('fct_use_case_transactions') }}
where {{ incremental_window('started_date', 'event_date') }}
group by 1, 2, 3
