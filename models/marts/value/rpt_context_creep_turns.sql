-- One row per successful call of a conversation (conversation x turn): input tokens re-sent from history
-- (the previous call's input plus its answer, at most this call's input; none on the first turn) vs new
-- input, and the input-side cost caused by history (USD, at list-equivalent prices, pro rata to tokens).
-- DESIGN.md worked example 2: user 5 tokens, bot 50, user 6 -> the third message's call sends 61 input
-- tokens, 55 of them history.
with calls as (
    select
        use_case_id,
        conversation_id,
        event_id,
        occurred_at,
        turn_index,
        input_tokens,
        output_tokens,
        cast(input_cost_usd + cached_input_cost_usd + cache_write_cost_usd as double) as input_side_cost_usd,
        cast(list_equivalent_cost_usd as double) as cost_usd,
        lag(input_tokens) over (partition by conversation_id order by occurred_at, event_id) as previous_input_tokens,
        lag(output_tokens) over (partition by conversation_id order by occurred_at, event_id) as previous_output_tokens,
        row_number() over (partition by conversation_id order by occurred_at, event_id) as call_number
    from {{ ref('fct_genai_requests') }}
    where conversation_id is not null
      and status = 'success'
),

final as (
    select
        use_case_id,
        conversation_id,
        event_id,
        occurred_at,
        turn_index,
        call_number,
        input_tokens,
        case
            when previous_input_tokens is null then 0
            when previous_input_tokens + previous_output_tokens > input_tokens then input_tokens
            else previous_input_tokens + previous_output_tokens
        end as history_tokens,
        input_tokens - case
            when previous_input_tokens is null then 0
            when previous_input_tokens + previous_output_tokens > input_tokens then input_tokens
            else previous_input_tokens + previous_output_tokens
        end as new_input_tokens,
        output_tokens,
        cost_usd,
        input_side_cost_usd
    from calls
)

select
    final.*,
    {{ safe_divide('cast(history_tokens as double)', 'input_tokens') }} as history_share,
    {{ safe_divide('input_side_cost_usd * history_tokens', 'input_tokens') }} as history_cost_usd
from final
