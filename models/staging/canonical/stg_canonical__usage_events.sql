-- Canonical usage events from the lake: renamed, typed, defaulted and mapped to canonical models.
-- Token semantics of the canonical format: input_tokens counts ALL input (cached reads and cache writes
-- included); output_tokens includes reasoning tokens; modality counts are subsets of input/output.
{{ canonical_usage_staging(source('lake', 'usage_events'), 'canonical') }}
