"""Rendering results: JSONL/JSON/CSV/TSV records, rich tables, count reports. The only place rich is used."""
