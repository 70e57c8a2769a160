"""The fast path's thresholds: when a shortcut pays, and how much is read at a time."""

block = 1 << 17  # bytes read at a time from regular files (small enough to stay in cache)
parallel_min_bytes = 64 << 20  # smaller files are read by one process: forking costs more
parallel_output_max_bytes = 2 << 30  # larger files: JSONL output by one process unless --jobs
fast_min_bytes = 256 << 10  # smaller regular files take the general path: no msgspec to import
progress_min_bytes = 32 << 20  # files this large report progress (when the reader asks for it)
left_lines = 1000  # lines a counting worker leaves to the main process before it stops
give_up_lines = 200  # lines for the general path (and 4 times the fast ones) before it reads all
