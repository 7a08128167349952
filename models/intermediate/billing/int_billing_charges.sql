-- Every billing source as one FOCUS-shaped row per charge, with the GenAI mapping: platform (from the
-- service), canonical model (billing_sku_map: the longest SKU pattern that matches wins; '(capacity)' for
-- provisioned capacity) and token class (from the SKU text). Provider extras stay as x_ columns, null where
-- a source has none.
{%- set sources = {
    'stg_focus__charges': ['service_category', 'service_subcategory', 'sku_price_id', 'publisher_name',
        'sub_account_id', 'commitment_discount_id', 'commitment_discount_type', 'commitment_discount_status',
        'capacity_reservation_id', 'capacity_reservation_status', 'pricing_category', 'consumed_quantity',
        'consumed_unit'],
    'stg_aws__cur': ['is_unit_inferred', 'x_operation', 'x_principal_hash', 'x_usage_account_id'],
    'stg_azure__cost_details': ['commitment_discount_id', 'commitment_discount_type', 'commitment_discount_status',
        'x_cost_view', 'x_charge_type', 'x_pricing_model', 'x_reservation_name', 'x_subscription_id',
        'x_resource_group', 'x_additional_info', 'x_account_owner_hash'],
    'stg_gcp__billing': ['x_credits_amount', 'x_credits', 'x_invoice_month'],
} %}
{%- set optional = {
    'service_category': 'string', 'service_subcategory': 'string', 'sku_price_id': 'string',
    'publisher_name': 'string', 'sub_account_id': 'string', 'commitment_discount_id': 'string',
    'commitment_discount_type': 'string', 'commitment_discount_status': 'string',
    'capacity_reservation_id': 'string', 'capacity_reservation_status': 'string', 'pricing_category': 'string',
    'consumed_quantity': 'money', 'consumed_unit': 'string', 'is_unit_inferred': 'boolean',
    'x_operation': 'string', 'x_principal_hash': 'string', 'x_usage_account_id': 'string',
    'x_cost_view': 'string', 'x_charge_type': 'string', 'x_pricing_model': 'string',
    'x_reservation_name': 'string', 'x_subscription_id': 'string', 'x_resource_group': 'string',
    'x_additional_info': 'string', 'x_account_owner_hash': 'string', 'x_credits_amount': 'money',
    'x_credits': 'string', 'x_invoice_month': 'string',
} %}
{%- set types = {'string': dbt.type_string(), 'money': money_type(), 'boolean': dbt.type_boolean()} %}
{%- set core = ['billing_source', 'charge_id', 'billing_account_id', 'billing_period_start',
    'charge_period_start', 'charge_period_end', 'charge_date', 'billed_cost', 'effective_cost', 'list_cost',
    'contracted_cost', 'billing_currency', 'charge_category', 'charge_class', 'charge_frequency',
    'charge_description', 'provider', 'service_name', 'platform', 'sku_id', 'sku_text', 'region',
    'resource_id', 'pricing_quantity', 'pricing_unit', 'token_quantity', 'tags', 'source_file', 'source_line'] %}
with unioned as (
    {%- for model, present in sources.items() %}
    select
        {{ core | join(', ') }},
        {%- for column, kind in optional.items() %}
        {% if column in present %}{{ column }}{% else %}cast(null as {{ types[kind] }}) as {{ column }}{% endif %}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref(model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

sku_map as (
    select * from {{ ref('billing_sku_map') }}
),

matched as (
    select
        unioned.billing_source,
        unioned.source_file,
        unioned.source_line,
        sku_map.model_id,
        row_number() over (
            partition by unioned.billing_source, unioned.source_file, unioned.source_line
            order by length(sku_map.sku_pattern) desc
        ) as match_rank
    from unioned
    inner join sku_map
        on unioned.platform = sku_map.platform
        and lower(unioned.sku_text) like lower(sku_map.sku_pattern)
),

final as (
    select
        unioned.*,
        unioned.billing_source || ':' || unioned.source_file || ':' || cast(unioned.source_line as {{ dbt.type_string() }})
            as charge_key,
        unioned.platform is not null as is_genai,
        matched.model_id,
        case when unioned.platform is not null then {{ billing_token_class('unioned.sku_text') }} end as token_class
    from unioned
    left join matched
        on unioned.billing_source = matched.billing_source
        and unioned.source_file = matched.source_file
        and unioned.source_line = matched.source_line
        and matched.match_rank = 1
)

select * from final
