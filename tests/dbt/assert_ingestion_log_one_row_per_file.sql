-- Each landing file appears once in the ingestion log (its latest load): re-loading never duplicates.
select
    dataset,
    file_key,
    count(*) as loads
from {{ ref('stg_lake__ingestion_log') }}
group by 1, 2
having count(*) > 1
