"""Writing wkcli's rows into SQL engines and files: DuckDB, Parquet, CSV and SQLite."""
