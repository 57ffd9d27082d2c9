"""`anon batch --engine ray` on a real local Ray cluster (`ray start --head`, 2 CPUs, its own short temp
dir), stopped afterwards by killing the process group that `ray start` created (only our processes).
The cluster and its drivers run inside a network namespace of their own that has only the loopback
interface (`ip netns`, root only): Ray 2.60 otherwise listens on the machine's own address even with
`--node-ip-address 127.0.0.1`, and a test server must be reachable on loopback alone.
One batch worker is SIGKILLed while it processes a file: Ray restarts the actor and retries the task,
and the manifest still lists every file exactly once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from batch.helpers import PIPELINE, entries
from conftest import ROOT

from anon_core.models.checksums import sha256_file

pytest.importorskip("ray", reason="the Ray engine needs the ray package (requirements.txt)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_cli() -> list[str]:
    return [str(Path(sys.executable).with_name("ray"))] if Path(sys.executable).with_name("ray").exists() else [
        sys.executable, "-m", "ray.scripts.scripts"]


@pytest.fixture(scope="module")
def loopback_ns():
    """Command prefix that runs a process in a fresh network namespace holding only `lo` (127.0.0.1)."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("the Ray tests need root and iproute2 to confine the cluster to a loopback-only namespace")
    name = f"anonray{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot create a network namespace here: {made.stderr.strip()}")
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)
        yield ["ip", "netns", "exec", name]
    finally:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True)


@pytest.fixture(scope="module")
def ray_cluster(loopback_ns):
    temp = tempfile.mkdtemp(prefix="ar", dir="/tmp")  # Ray's socket paths must stay under ~107 characters
    port = _free_port()
    env = os.environ | {"PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0"}
    start = subprocess.Popen([*loopback_ns, *_ray_cli(), "start", "--head", "--port", str(port), "--num-cpus", "2",
                              "--temp-dir", temp, "--node-ip-address", "127.0.0.1", "--include-dashboard=false",
                              "--disable-usage-stats"], env=env, start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = start.communicate(timeout=180)[0]
    group = start.pid  # `ray start` led a new session: its daemons (GCS, raylet, workers) share this group
    try:
        if start.returncode != 0:
            pytest.fail(f"ray start failed:\n{log[-2000:]}")
        yield f"127.0.0.1:{port}"
    finally:
        for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 5)):  # raylet/GCS may ignore TERM for long
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and _group_alive(group):
                time.sleep(0.2)
        shutil.rmtree(temp, ignore_errors=True)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
        return True
    except ProcessLookupError:
        return False


def _batch_workers() -> dict[int, str]:
    """pid -> process title of Ray's BatchWorker actor processes ('ray::BatchWorker.run_task' while busy)."""
    found = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                title = (d / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
            except OSError:
                continue
            if title.startswith("ray::BatchWorker"):
                found[int(d.name)] = title
    return found


def test_ray_batch_survives_a_killed_worker(loopback_ns, ray_cluster, archive, tmp_path):
    out = tmp_path / "out"
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([*loopback_ns, sys.executable, "-m", "anon_core.cli.main", "batch", str(archive.root),
                             "-o", str(out), "--engine", "ray", "--ray-address", ray_cluster, "--workers", "2",
                             "--photos-per-task", "1", *PIPELINE], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    killed = None
    deadline = time.monotonic() + 240
    while killed is None and proc.poll() is None and time.monotonic() < deadline:
        busy = [pid for pid, title in _batch_workers().items() if "run_task" in title]
        if busy:
            killed = busy[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    stdout, stderr = proc.communicate(timeout=300)
    assert killed is not None, f"no busy batch worker seen\n{stdout}\n{stderr}"
    assert proc.returncode == 3, stderr  # only the corrupt file failed
    rows = entries(out)
    assert sorted(e["rel"] for e in rows) == archive.media  # every file exactly once: nothing lost or duplicated
    done = [*archive.clips, *archive.photos]
    for e in rows:
        if e["rel"] == archive.broken:
            assert e["status"] == "failed" and "not a readable video" in e["error"]
            continue
        assert e["status"] == "done", e
        assert e["output_sha256"] == sha256_file(out / e["rel"])
        report = json.loads(Path(e["report"]).read_text())
        assert report["output"]["sha256"] == e["output_sha256"]
        assert report["pipeline"]["config"]["detect_every"] == "auto"  # the pipeline options reached the actors
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files == {"batch_manifest.jsonl", *done, *(f"{r}.report.json" for r in done)}  # no temp file, no marker
    assert "ray, 2 worker(s)" in stdout


def test_ray_refuses_a_tree_a_node_cannot_see(loopback_ns, ray_cluster, tmp_path):
    """The up-front shared-filesystem check runs on every node: an input tree a node does not see is
    one clear error naming the node, and the marker file is removed again.  (In a subprocess: a Ray
    driver in the pytest process would keep writing into the cluster's temp dir.)"""
    out = tmp_path / "out"
    code = f"""
from pathlib import Path
from anon_core.batch.ray_engine import RayEngine, RayEngineError
from anon_core.batch.work import WorkSpec
engine = RayEngine(WorkSpec({{}}, "s"), workers=1, address={ray_cluster!r})
try:
    try:
        engine.start(Path({str(out)!r}), Path("/nonexistent/archive"))
    except RayEngineError as exc:
        print("refused:", exc)
    engine.check_shared_fs(Path({str(out)!r}), Path({str(tmp_path)!r}))  # what the node sees passes
    print("visible tree: ok")
finally:
    engine.close()
"""
    p = subprocess.run([*loopback_ns, sys.executable, "-c", code], capture_output=True, text=True, timeout=180,
                       env=os.environ | {"PYTHONPATH": str(ROOT)})
    assert p.returncode == 0, p.stderr[-3000:]
    assert "refused: Ray node(s)" in p.stdout and "sees no /nonexistent/archive" in p.stdout
    assert "every node mounts at the same path" in p.stdout and "visible tree: ok" in p.stdout
    assert list(out.iterdir()) == []  # the marker is gone
