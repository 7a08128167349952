{#
  For the generic test being compiled (`model` is the test node): the lake's day column (partition) of the
  dataset whose staging model the test is attached to, when that dataset's records carry the day they happened
  (`events` in raw_datasets(), generated from the dataset registry's EVENT_ROLES: usage, usage_report, kpi; the
  roles whose late days widen a run's window, so a late record is inside it) and the test is not on that column; else none. get_where_subquery windows such a
  test on this column, so a dataset added to the registry has its staging tests read a run's days without
  configuration. Bills and provider cost reports (one row per charge or bucket) are tested whole.
#}
{% macro staged_event_day_column() -%}
    {%- set attached = (model.get('attached_node') or '').split('.') | last -%}
    {%- set datasets = raw_datasets()
        | selectattr('staging_model', 'equalto', attached)
        | selectattr('events')
        | list -%}
    {%- if datasets and model.get('column_name') != datasets[0].partition -%}
        {{ return(datasets[0].partition) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}
