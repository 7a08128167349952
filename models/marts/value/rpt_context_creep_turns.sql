{{ config(materialized='incremental', on_schema_change='fail', **partition_replace_config('event_date')) }}
{#- a first build reads all history (so a warehouse that gains this model gets it whole) -#}
{%- set window_start = incremental_window_start('event_date') if is_incremental() else none %}
-- One row per successful call of a conversation (conversation x turn): input tokens re-sent from history
-- (the previous call's input plus its answer, at most this call's input; none on the first turn) vs new
-- input, and the input-side cost caused by history (USD, at list-equivalent prices, pro rata to tokens).
-- docs/design.md worked example 2: user 5 tokens, bot 50, user 6 -> the third message's call sends 61 input
-- tokens, 55 of them history.
-- Incremental by the call's day (the window's days minus `lookback_days` on): a conversation that began
-- before the window continues from its last call already built (its tokens and call number), so only the
-- window's calls are read from the request fact. A late call older than the lookback needs a backfill of its
-- day, as everywhere else.
with window_calls as (
    select
        use_case_id,
        conversation_id,
        event_id,
        occurred_at,
        event_date,
        turn_index,
        input_tokens,
        output_tokens,
        cast(input_cost_usd + cached_input_cost_usd + cache_write_cost_usd as double) as input_side_cost_usd,
        cast(list_equivalent_cost_usd as double) as cost_usd
    from {{ ref('fct_genai_requests') }}
    where conversation_id is not null
        and status = 'success'
    {%- if window_start %}
      and event_date >= {{ window_start }}
    {%- endif %}
),

calls as (
    select
        window_calls.*,
        cast(null as {{ dbt.type_int() }}) as carried_call_number,
        false as is_carried
    from window_calls
    {%- if window_start %}

    union all

    -- the last call built before the window of each conversation that goes on in it
    select
        earlier.use_case_id,
        earlier.conversation_id,
        earlier.event_id,
        earlier.occurred_at,
        earlier.event_date,
        earlier.turn_index,
        earlier.input_tokens,
        earlier.output_tokens,
        earlier.input_side_cost_usd,
        earlier.cost_usd,
        earlier.call_number as carried_call_number,
        true as is_carried
    from (
        select
            built.*,
            row_number() over (partition by built.conversation_id order by built.call_number desc) as recency
        from {{ this }} as built
        inner join (select distinct conversation_id from window_calls) as current_conversations
            on built.conversation_id = current_conversations.conversation_id
        where built.event_date < {{ window_start }}
    ) as earlier
    where earlier.recency = 1
    {%- endif %}
),

sequenced as (
    select
        calls.*,
        lag(input_tokens) over (partition by conversation_id order by occurred_at, event_id) as previous_input_tokens,
        lag(output_tokens) over (partition by conversation_id order by occurred_at, event_id) as previous_output_tokens,
        -- numbering goes on from the carried call (which sorts first: it is older than the window)
        row_number() over (partition by conversation_id order by occurred_at, event_id) - 1
        + coalesce(max(carried_call_number) over (partition by conversation_id), 1) as call_number
    from calls
),

final as (
    select
        use_case_id,
        conversation_id,
        event_id,
        occurred_at,
        event_date,
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
    from sequenced
    where not is_carried
)

select
    final.*,
    {{ safe_divide('cast(history_tokens as double)', 'input_tokens') }} as history_share,
    {{ safe_divide('input_side_cost_usd * history_tokens', 'input_tokens') }} as history_cost_usd
from final
