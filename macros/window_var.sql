{#
  A value of the run's window: min_date, max_date or rebuild_from. The dbt var of that name when the command
  gives one (`dbt build --vars '{min_date: ..., max_date: ...}'`, or a unit test's override, null included),
  else the environment variable FINOPS_WINDOW_<NAME> (what the Dagster job sets), else none. The job passes
  its window through the environment because dbt parses the whole project again whenever --vars change (every
  daily run's window differs), while a changed environment variable read when a node compiles costs nothing.
  The three are not declared in dbt_project.yml: a declared default would count as given.
#}
{% macro window_var(name) -%}
    {%- set given = var(name, '__not_given__') -%}
    {%- if given != '__not_given__' -%}
        {{ return(given) }}
    {%- endif -%}
    {%- if not execute -%}
        {#- parsing: the window changes no node's dependencies, and an environment variable read while parsing
            would make dbt parse that node's file again whenever the value changes -#}
        {{ return(none) }}
    {%- endif -%}
    {{ return(env_var('FINOPS_WINDOW_' ~ (name | upper), '') or none) }}
{%- endmacro %}
