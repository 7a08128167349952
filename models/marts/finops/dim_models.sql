-- One row per canonical model and platform in the price book, with the list prices in force today
-- (USD per 1M tokens) and how many price rows it has had.
with prices as (
    select * from {{ ref('model_prices') }}
),

ranked as (
    select
        prices.*,
        row_number() over (
            partition by platform, model_id, region_scope, service_tier order by valid_from desc
        ) as recency,
        count(*) over (partition by platform, model_id, region_scope, service_tier) as price_versions
    from prices
),

final as (
    select
        {{ dbt.concat(["platform", "'|'", "model_id", "'|'", "region_scope", "'|'", "service_tier"]) }} as model_key,
        platform,
        model_id,
        region_scope,
        service_tier,
        valid_from as current_price_valid_from,
        input_usd_per_mtok,
        cached_input_usd_per_mtok,
        output_usd_per_mtok,
        long_context_threshold_tokens,
        batch_discount_pct,
        price_versions
    from ranked
    where recency = 1
)

select * from final
