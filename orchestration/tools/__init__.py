"""Tools beside the product: the demo data generator, the benchmark, the Spark check and the price-catalog
tools. The pipeline (ingestion, dbt, checks, jobs) never imports this package; the command line does, for
the commands that run a tool."""
