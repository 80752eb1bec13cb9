"""Iceberg (pyiceberg) and DuckDB: the lakehouse edge of the agents."""
