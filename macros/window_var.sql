{#
  A value of the run's window: min_date, max_date or rebuild_from. The dbt var of that name when the command
  gives one (`dbt build --vars '{min_date: ..., max_date: ...}'`, or a unit test's override, null included),
  else the environment variable FINOPS_WINDOW_<NAME> (what the Dagster job sets), else none. The job passes
  its window through the environment because dbt parses the whole project again whenever --vars change (every
  daily run's window differs), while a changed environment variable read when a node compiles costs nothing.
#}
{% macro window_var(name) -%}
    {%- set given = var(name, '__not_given__') -%}
    {%- if given != '__not_given__' -%}
        {{ return(given) }}
    {%- endif -%}
    {{ return(env_var('FINOPS_WINDOW_' ~ (name | upper), '') or none) }}
{%- endmacro %}
