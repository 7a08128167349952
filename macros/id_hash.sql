{#
  A 63-bit integer hash of a string id (bigint), stored beside the id so that a lookup of a window's ids among
  all history scans one narrow integer column instead of the history's strings. Equal ids have equal hashes;
  different ids may share one, so every lookup compares the ids of the rows whose hashes match (exact). The
  function must give the same value on every run against the same warehouse: md5 on DuckDB (its `hash()` may
  change between versions), xxhash64 on Spark. Values differ between engines.
#}
{% macro id_hash(column) -%}
    {{ return(adapter.dispatch('id_hash', 'genai_finops')(column)) }}
{%- endmacro %}

{% macro duckdb__id_hash(column) -%}
    cast(md5_number({{ column }}) >> 65 as bigint)
{%- endmacro %}

{% macro default__id_hash(column) -%}
    xxhash64({{ column }})
{%- endmacro %}

{% macro bigquery__id_hash(column) -%}
    farm_fingerprint({{ column }})
{%- endmacro %}
