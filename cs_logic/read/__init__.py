"""Reading files: bytes to typed, checked tables (CSV, workbooks, Parquet), and the session's DuckDB store."""
