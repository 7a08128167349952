-- Transactions per use case and UTC hour of their start (fct_use_case_transactions: each counted once, in the
-- hour of its first call), the volume of the anomaly detection and of its cost decomposition.
select
    started_date as event_date,
    {{ dbt.date_trunc('hour', 'started_at') }} as hour_at,
    use_case_id,
    count(*) as transactions
from {{ ref('fct_use_case_transactions') }}
group by 1, 2, 3
