"""Reading on a Dask cluster gives exactly the local run: counts, output bytes, diagnostics and their order.

One local cluster (two worker processes) and one S3-compatible server (moto, on 127.0.0.1) are
started for the whole module; small byte ranges (``WKCLI_CLUSTER_RANGE``) cut every dump into
many tasks.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import logging
import os
import signal
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from wkcli.cluster.plan import plan_file
from wkcli.cluster.run import ClusterRunner, shown
from wkcli.read.fast.pieces import cut_points, cut_points_at
from wkcli.read.options import ReadOptions
from wkcli.read.reader import Reader
from wkcli.webhook.tally import Tally

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("wk_generate", ROOT / "bench" / "generate.py")
generate = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(generate)  # type: ignore[union-attr]

RANGE = "64K"  # bytes per task: a dump of a few hundred KB is many tasks
# Fake credentials for the local S3 server only: set before the cluster starts, so its workers have them.
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
PRETTY = b'{\n  "header": {"sync_once": 1},\n  "message_id": 77,\n  "channel_id": "g1"\n}\n'


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """An S3-compatible server on 127.0.0.1 (moto's server mode): no real network."""
    from moto.server import ThreadedMotoServer

    saved = {key: os.environ.get(key) for key in [*FAKE_AWS, "WKCLI_S3_ENDPOINT"]}
    os.environ.update(FAKE_AWS)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ["WKCLI_S3_ENDPOINT"] = f"http://127.0.0.1:{port}"
    yield os.environ["WKCLI_S3_ENDPOINT"]
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def cluster(s3_endpoint):
    """A scheduler and two single-threaded worker processes, shared by the module's tests."""
    import logging

    from distributed import LocalCluster

    local = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: several clusters may run on one machine
        silence_logs=logging.CRITICAL,
    )
    yield local.scheduler_address
    local.close()


def _dump(path: Path, shape: str = "offline", n: int = 1500, seed: int = 3, pretty: bool = False) -> Path:
    out = io.BytesIO()
    generate.write(out, shape, n, seed=seed, anomalies=0.01, broken=0.005)
    data = out.getvalue()
    # Bad lines at known places: a cut-off record and a string sync_once, reported at their file:line.
    first = data.index(b"\n", len(data) // 3) + 1
    data = data[:first] + b'{"header": {"sync_once": 1}, "message_id"\n' + data[first:]
    second = data.index(b"\n", len(data) // 2) + 1
    data = data[:second] + b'{"header":{"sync_once":"1"},"message_id":5}\n' + data[second:]
    if pretty:  # a value spanning lines, two thirds of the way in: the general path reads on to the end
        cut = data.index(b"\n", len(data) * 2 // 3) + 1
        data = data[:cut] + PRETTY + data[cut:]
    path.write_bytes(data)
    return path


def _wkcli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    exe = Path(sys.executable).parent / "wkcli"
    full = {**os.environ, "WKCLI_CLUSTER_RANGE": RANGE, **(env or {})}
    full.pop("WKCLI_CLUSTER", None)
    return subprocess.run([str(exe), *args], capture_output=True, env=full, timeout=120)


def _same(args: list[str], address: str) -> subprocess.CompletedProcess[bytes]:
    local = _wkcli(*args)
    remote = _wkcli(*args, "--cluster", address)
    assert remote.returncode == local.returncode, remote.stderr.decode()
    assert remote.stdout == local.stdout
    assert remote.stderr.decode().splitlines() == local.stderr.decode().splitlines()
    return remote


@pytest.mark.parametrize(("shape", "pretty"), [("offline", False), ("mixed", True)])
def test_count_and_classify_on_the_cluster_match_the_local_run(tmp_path, cluster, shape, pretty):
    dump = _dump(tmp_path / "dump.jsonl", shape, pretty=pretty)
    counted = _same(["count", "-o", "json", str(dump)], cluster)
    assert b'"malformed"' in counted.stdout
    classified = _same(["classify", "-o", "jsonl", str(dump)], cluster)
    assert classified.stdout.count(b"\n") > 500
    assert b"error:" in classified.stderr  # the bad lines are reported, at their file:line


def test_filters_strict_several_files_and_gzip(tmp_path, cluster):
    one = _dump(tmp_path / "a.jsonl", "notify", 800, seed=5)
    two = tmp_path / "b.jsonl.gz"
    two.write_bytes(gzip.compress(_dump(tmp_path / "b.jsonl", "envelope", 800, seed=6).read_bytes()))
    files = [str(one), str(two), str(tmp_path / "b.jsonl")]
    _same(["classify", "-o", "jsonl", "--kind", "cmd", *files], cluster)
    _same(["count", "-o", "json", "--strict", *files], cluster)


def test_the_ranges_are_read_by_the_cluster(tmp_path, cluster):
    dump = _dump(tmp_path / "dump.jsonl", "offline", 2000)
    os.environ["WKCLI_CLUSTER_RANGE"] = RANGE
    try:
        runner = ClusterRunner(cluster)
        reader = Reader([str(dump)], options=ReadOptions(ranges=runner))
        reader.count_into(Tally([]))
        runner.close()
    finally:
        del os.environ["WKCLI_CLUSTER_RANGE"]
    local = Reader([str(dump)])
    local.count_into(Tally([]))
    assert reader.stats == local.stats
    # Dask's logs (tracebacks when a connection drops) never reach the user's terminal.
    for name in ("distributed", "distributed.client", "distributed.batched", "distributed.comm"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.CRITICAL
    assert runner.tasks == len(plan_file(str(dump), 64 << 10)) > 5
    assert runner.failed == 0


def test_remote_cut_points_are_the_local_ones(tmp_path):
    dump = _dump(tmp_path / "dump.jsonl", "notify", 500)
    data = dump.read_bytes()
    fd = os.open(dump, os.O_RDONLY)
    try:
        for parts in (1, 2, 7, 40):
            remote = cut_points_at(lambda at, n: data[at : at + n], len(data), parts)
            assert remote == cut_points(fd, len(data), parts)
    finally:
        os.close(fd)


def _upload(endpoint: str, files: dict[str, bytes]) -> None:
    import s3fs

    fs = s3fs.S3FileSystem(endpoint_url=endpoint)
    if not fs.exists("dumps-bucket"):
        fs.mkdir("dumps-bucket")
    for name, data in files.items():
        fs.pipe(f"dumps-bucket/{name}", data)


def test_s3_paths_and_globs_read_as_local_files(tmp_path, s3_endpoint, cluster):
    a = _dump(tmp_path / "a.jsonl", "offline", 900, seed=7).read_bytes()
    b = _dump(tmp_path / "b.jsonl", "mixed", 600, seed=8, pretty=True).read_bytes()
    _upload(
        s3_endpoint,
        {"dumps/a.jsonl": a, "dumps/b.jsonl": b, "dumps/c.txt": b"x", "dumps/z.jsonl.gz": gzip.compress(a)},
    )
    (tmp_path / "z.jsonl.gz").write_bytes(gzip.compress(a))
    local_files = [str(tmp_path / name) for name in ("a.jsonl", "b.jsonl", "z.jsonl.gz")]

    def as_local(text: bytes) -> list[str]:
        return text.decode().replace("s3://dumps-bucket/dumps/", str(tmp_path) + "/").splitlines()

    runs = [(["count", "-o", "json"], ["--cluster", cluster]), (["count", "-o", "json"], [])]
    runs.append((["classify", "-o", "jsonl"], ["--cluster", cluster]))
    for args, extra in runs:
        local = _wkcli(*args, *local_files)
        remote = _wkcli(*args, "s3://dumps-bucket/dumps/*.jsonl*", *extra)
        assert remote.returncode == local.returncode, remote.stderr.decode()
        assert remote.stdout == local.stdout
        assert as_local(remote.stderr) == local.stderr.decode().splitlines()


def test_a_missing_bucket_or_key_is_one_line(s3_endpoint):
    result = _wkcli("count", "s3://no-such-bucket/dump.jsonl")
    assert result.returncode == 2
    assert b"s3://no-such-bucket/dump.jsonl: no such file (or bucket)" in result.stderr
    assert b"Traceback" not in result.stderr and b"testing" not in result.stderr
    _upload(s3_endpoint, {})  # the bucket is there; nothing in it matches
    nothing = _wkcli("count", "s3://dumps-bucket/nothing/*.jsonl")
    assert nothing.returncode == 2
    assert b"s3://dumps-bucket/nothing/*.jsonl: no file matches" in nothing.stderr


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path):
    dump = _dump(tmp_path / "dump.jsonl", "offline", 50)
    port = _free_port()
    result = _wkcli(
        "count", str(dump), "--cluster", f"tcp://127.0.0.1:{port}", env={"WKCLI_CLUSTER_TIMEOUT": "1"}
    )
    assert result.returncode == 2
    lines = result.stderr.decode().splitlines()
    assert lines == [
        f"wkcli: error: --cluster tcp://127.0.0.1:{port}: cannot use that cluster: "
        + lines[0].split(": ", 4)[-1]
    ]
    assert "Traceback" not in result.stderr.decode()


def test_general_path_options_say_the_cluster_was_not_used(tmp_path, cluster):
    dump = _dump(tmp_path / "dump.jsonl", "offline", 50)
    result = _wkcli("count", "--by", "channel_id", str(dump), "--cluster", cluster)
    assert b"--cluster: nothing was read on the cluster" in result.stderr


def test_addresses_are_shown_without_credentials():
    assert shown("tls://user:secret@host:8786") == "tls://host:8786"


def test_help_imports_neither_dask_nor_fsspec():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from wkcli.cli import app\n"
        "for args in (['--help'], ['count', '--help'], ['classify', '--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0\n"
        "heavy = ('dask', 'distributed', 'fsspec', 's3fs')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.strip() == b"[]"


def test_ctrl_c_stops_with_the_account_and_exit_130(tmp_path, cluster):
    dump = _dump(tmp_path / "dump.jsonl", "offline", 6000)
    exe = Path(sys.executable).parent / "wkcli"
    env = {**os.environ, "WKCLI_CLUSTER_RANGE": RANGE}
    argv = [str(exe), "classify", "-o", "jsonl", str(dump), "--cluster", cluster]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    # The output is far larger than a pipe holds: once it starts, wkcli waits on us until we read.
    assert proc.stdout.read(1)
    proc.send_signal(signal.SIGINT)
    rest = proc.stdout.read()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 130, err
    assert "stopped by Ctrl-C" in err and "Traceback" not in err
    assert len(rest) + 1 < len(_wkcli("classify", "-o", "jsonl", str(dump)).stdout)


class _WrongSizes(ClusterRunner):
    """Tells the workers every range but the first is of a file of another size, as a worker
    that does not see the client's filesystem would find: those tasks fail."""

    def _plan(self, paths):  # type: ignore[no-untyped-def]
        for index, task in super()._plan(paths):
            yield index, (task if task.start == 0 else replace(task, size=task.size + 1))


def test_failed_tasks_are_read_by_the_client(tmp_path, cluster):
    dump = _dump(tmp_path / "dump.jsonl", "offline", 1500)
    notes: list[str] = []
    os.environ["WKCLI_CLUSTER_RANGE"] = RANGE
    try:
        runner = _WrongSizes(cluster, note=notes.append)
        reader = Reader([str(dump)], options=ReadOptions(ranges=runner))
        reader.count_into(Tally([]))
        runner.close()
    finally:
        del os.environ["WKCLI_CLUSTER_RANGE"]
    local = Reader([str(dump)])
    local.count_into(Tally([]))
    assert reader.stats == local.stats
    assert runner.failed == runner.tasks - 1 > 3
    assert len(notes) == 1 and "sees a different file" in notes[0]


CLUSTER_SCRIPT = """
import logging, sys, time
from distributed import LocalCluster
cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                       silence_logs=logging.CRITICAL)
print(cluster.scheduler_address, flush=True)
time.sleep(120)
"""


def test_a_lost_scheduler_is_one_line_and_exit_2(tmp_path):
    dump = _dump(tmp_path / "dump.jsonl", "offline", 6000)
    own = subprocess.Popen(
        [sys.executable, "-c", CLUSTER_SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert own.stdout is not None
        address = own.stdout.readline().decode().strip()
        exe = Path(sys.executable).parent / "wkcli"
        env = {**os.environ, "WKCLI_CLUSTER_RANGE": RANGE}
        argv = [str(exe), "classify", "-o", "jsonl", str(dump), "--cluster", address]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.read(1)  # reading on the cluster, waiting for us to take its output
        os.killpg(own.pid, signal.SIGKILL)
        proc.stdout.read()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 2, err
    finally:
        if own.poll() is None:
            os.killpg(own.pid, signal.SIGKILL)
        own.wait()
    lines = [line for line in err.splitlines() if not line.startswith(f"wkcli: {dump}:")]  # the dump's own
    assert len(lines) == 1, err
    assert lines[0].startswith(f"wkcli: error: --cluster {address}: lost the cluster: ")


def test_ctrl_c_on_a_terminal_with_a_local_cluster_prints_no_traceback(tmp_path):
    dump = _dump(tmp_path / "dump.jsonl", "offline", 6000)
    exe = Path(sys.executable).parent / "wkcli"
    env = {**os.environ, "WKCLI_CLUSTER_RANGE": RANGE}
    argv = [str(exe), "classify", "-o", "jsonl", str(dump), "--cluster", "local:1"]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(1)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: wkcli and the workers it started
    proc.stdout.read()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 130, err
    assert "stopped by Ctrl-C" in err and "Traceback" not in err, err
