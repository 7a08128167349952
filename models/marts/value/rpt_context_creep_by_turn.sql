-- One row per conversational use case and call number within the conversation (1 = first): how input,
-- history and cost per call grow with the conversation. Tokens are averages per call; USD.
with turns as (
    select * from {{ ref('rpt_context_creep_turns') }}
)

select
    use_case_id,
    call_number,
    count(*) as calls,
    avg(cast(input_tokens as double)) as avg_input_tokens,
    avg(cast(history_tokens as double)) as avg_history_tokens,
    avg(cast(new_input_tokens as double)) as avg_new_input_tokens,
    avg(cost_usd) as avg_cost_usd,
    {{ safe_divide('sum(history_cost_usd)', 'sum(cost_usd)') }} as history_share_of_cost
from turns
group by 1, 2
