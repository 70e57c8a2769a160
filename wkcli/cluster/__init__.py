"""Reading on a Dask cluster: inputs cut into tasks (plan), read by workers (task), merged (run)."""
