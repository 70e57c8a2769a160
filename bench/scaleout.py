"""Scale-out figures for ``--cluster``: per-task overhead, what is pickled, and 1 vs 2 local Dask workers.

Run through ``python bench/run.py --cluster`` (or directly: ``python bench/scaleout.py FILE``).
Each cluster is started here, once, and wkcli is pointed at its scheduler, so the timings are
those of a cluster that is already running (starting ``--cluster local:N`` adds 2-5 s).
"""

from __future__ import annotations

import logging
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _wall(argv: list[str], env: dict[str, str], peaks: list[int]) -> float:
    """Seconds the command took; its peak RSS (KB, from wait4) is appended to ``peaks``."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(proc.pid, 0)
    peaks.append(usage.ru_maxrss)
    return time.perf_counter() - start


def _cluster(workers: int):  # type: ignore[no-untyped-def]
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.CRITICAL,
    )
    return cluster, Client(cluster)


def overhead(tasks: int = 200) -> None:
    """Per-task cost of a range that holds one line, and the bytes pickled each way."""
    import cloudpickle

    from wkcli.cluster.plan import Task
    from wkcli.cluster.task import run_task
    from wkcli.read.fast.ranges import RangeSpec

    spec = RangeSpec(True, (), (), False, "auto", 1 << 17, 64 << 20, 0)
    line = b'{"header":{"sync_once":1},"message_id":1,"channel_id":"g1","channel_type":2}\n'
    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as tiny:
        tiny.write(line)
    task = Task(tiny.name, 0, len(line), len(line))
    sent = len(cloudpickle.dumps((run_task, spec, task, {})))
    cluster, client = _cluster(1)
    try:
        client.submit(run_task, spec, task, {}, pure=False).result()  # imports done on the worker
        start = time.perf_counter()
        futures = [client.submit(run_task, spec, task, {}, pure=False) for _ in range(tasks)]
        for future in futures:
            future.result()
        per_task = (time.perf_counter() - start) / tasks
        start = time.perf_counter()
        for _ in range(20):
            client.submit(run_task, spec, task, {}, pure=False).result()
        round_trip = (time.perf_counter() - start) / 20
        count_spec = RangeSpec(False, (), (), True, "auto", 1 << 17, 64 << 20, 1000)
        state = run_task(count_spec, task, {})
    finally:
        client.close()
        cluster.close()
        os.unlink(tiny.name)
    print(f"  pickled per task: {sent:,} bytes out (function by reference, spec, range)")
    print(f"  pickled back: a count {len(pickle.dumps(state)):,} bytes; classify -o jsonl: its output")
    print(f"  per task, {tasks} queued on 1 worker: {per_task * 1000:.1f} ms")
    print(f"  per task, one at a time (round trip): {round_trip * 1000:.1f} ms")


def scale_out(path: Path, wkcli: str, repeat: int) -> int:
    """``count`` and ``classify -o jsonl`` on local clusters of 1 and 2 workers, beside --jobs 1/2."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("--cluster: Dask is not installed: pip install 'wkcli[cluster]'", file=sys.stderr)
        return 2
    size = path.stat().st_size
    print(f"scale-out: {path} ({size / 1e6:,.0f} MB), {os.cpu_count()} cores, median of {repeat}")
    overhead()
    env = {**os.environ}
    commands = {
        "count": ["count", "-q", "-o", "json"],
        "classify -o jsonl": ["classify", "-q", "-o", "jsonl"],
    }
    rows: dict[str, dict[str, float]] = {name: {} for name in commands}
    peaks: dict[str, list[int]] = {"local": [], "cluster": []}
    for jobs in (1, 2):
        for name, args in commands.items():
            argv = [wkcli, *args, "--jobs", str(jobs), str(path)]
            runs = [_wall(argv, env, peaks["local"]) for _ in range(repeat)]
            rows[name][f"--jobs {jobs}"] = statistics.median(runs)
    for workers in (1, 2):
        cluster, client = _cluster(workers)
        try:
            address = cluster.scheduler_address
            for name, args in commands.items():
                argv = [wkcli, *args, "--cluster", address, str(path)]
                runs = [_wall(argv, env, peaks["cluster"]) for _ in range(repeat)]
                rows[name][f"{workers} worker{'s' if workers > 1 else ''}"] = statistics.median(runs)
        finally:
            client.close()
            cluster.close()
    for where, kb in peaks.items():
        print(f"  peak memory of wkcli ({where}): {max(kb) / 1024:.0f} MB")
    columns = list(next(iter(rows.values())))
    print("| task | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, timings in rows.items():
        print(f"| `{name}` | " + " | ".join(f"{timings[c]:.2f} s" for c in columns) + " |")
    return 0


if __name__ == "__main__":
    target = Path(sys.argv[1])
    exe = str(Path(sys.executable).parent / "wkcli")
    sys.exit(scale_out(target, exe, int(sys.argv[2]) if len(sys.argv) > 2 else 3))
