{% macro integers(upper_bound) -%}
    {#- 0 .. upper_bound - 1 as column `n`, portable (a cross join of digits; no generate_series) -#}
    {%- set digits = (upper_bound | string) | length -%}
    select
        {% for i in range(digits) %}d{{ i }}.n * {{ 10 ** i }}{{ " + " if not loop.last }}{% endfor %} as n
    from
        {% for i in range(digits) %}
        (select 0 as n union all select 1 union all select 2 union all select 3 union all select 4
         union all select 5 union all select 6 union all select 7 union all select 8 union all select 9) as d{{ i }}
        {{ "cross join" if not loop.last }}
        {% endfor %}
    where
        {% for i in range(digits) %}d{{ i }}.n * {{ 10 ** i }}{{ " + " if not loop.last }}{% endfor %} < {{ upper_bound }}
{%- endmacro %}
