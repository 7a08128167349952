-- OpenTelemetry GenAI model-call spans from the lake (orchestration/ingest/otel.py flattened them to
-- canonical usage fields): input tokens include cache reads and writes (semantic conventions), output
-- includes reasoning; the trace id is the transaction.
{{ canonical_usage_staging(source('lake', 'otel_spans'), 'otel') }}
