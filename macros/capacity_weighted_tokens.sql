{% macro capacity_weighted_tokens(requests, throughput) -%}
{#- A request's tokens in a capacity model's burndown weights (seed capacity_throughput): uncached input,
    cached input, audio input, output and reasoning each at their weight, the long-context weights once the
    request's input exceeds the model's threshold. `requests` and `throughput` are the relations' aliases. -#}
    {%- set long = "coalesce(" ~ throughput ~ ".long_context_threshold_tokens is not null and " ~ requests
        ~ ".input_tokens > " ~ throughput ~ ".long_context_threshold_tokens, false)" -%}
    case when {{ long }} then {{ throughput }}.long_context_input_weight else {{ throughput }}.input_weight end
    * ({{ requests }}.input_tokens - {{ requests }}.cached_input_tokens - {{ requests }}.audio_input_tokens)
    + {{ throughput }}.cached_input_weight * {{ requests }}.cached_input_tokens
    + {{ throughput }}.audio_input_weight * {{ requests }}.audio_input_tokens
    + case when {{ long }} then {{ throughput }}.long_context_output_weight else {{ throughput }}.output_weight end
    * ({{ requests }}.output_tokens - {{ requests }}.reasoning_tokens)
    + case when {{ long }} then {{ throughput }}.long_context_output_weight else {{ throughput }}.reasoning_weight end
    * {{ requests }}.reasoning_tokens
{%- endmacro %}
