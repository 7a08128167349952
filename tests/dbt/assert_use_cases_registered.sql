{{ config(severity='warn') }}
-- Use cases the traffic names that the use_cases seed does not register: their requests are kept (dim_use_cases
-- lists them as 'unregistered'), but cost and value cannot be owned until someone registers them.
select use_case_id
from {{ ref('dim_use_cases') }}
where stage = 'unregistered'
