"""Storage: the one owner of the DuckDB connection, the schema, resolution of imports, settings and notes."""
