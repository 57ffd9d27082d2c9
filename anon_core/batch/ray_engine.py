"""`--engine ray`: the batch on a Ray cluster (`ray start --head` on one machine, `ray start --address
HEAD:PORT` on the others).  Only this module imports ray, and only when the engine starts.

- One actor per worker holds one loaded model set (BatchWorker); `--gpus-per-worker G` reserves GPUs
  for actors that run `--device cuda`.
- One task per video (the tracker needs the frames in order); photos grouped into tasks.
- A task lost with its worker (process killed, node gone) is retried by Ray on the restarted actor
  (max_restarts=-1, max_task_retries=TASK_RETRIES); the driver alone writes the manifest, from the
  one result each task returns, so a retried file is recorded once.
- Inputs and OUTPUT live on a filesystem every node mounts at the same path: checked up front by
  having every node read a marker file the driver writes into OUT_DIR.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path

from anon_core.batch.work import BatchWorker, FrameSink, WorkItem, WorkSpec, lost

TASK_RETRIES = 3
POLL_S = 0.5
FS_CHECK_TIMEOUT_S = 120


class RayEngineError(RuntimeError):
    """The cluster cannot run this batch (unreachable, no shared filesystem); message says what to do."""


def _probe(marker: str, token: str, root: str) -> dict:
    """Runs on one node: can it see the driver's marker in OUT_DIR and the input tree?"""
    try:
        sees_out = Path(marker).read_text(encoding="utf-8") == token
    except OSError:
        sees_out = False
    return {"host": socket.gethostname(), "out": sees_out, "input": Path(root).is_dir()}


def _token_auth_like_ray_start() -> None:
    """`ray start` turns token authentication on when RAY_AUTH_MODE is unset and a token file exists
    (~/.ray/auth_token), but `ray.init(address=...)` of Ray 2.60 does not, and is then refused
    ('InvalidAuthToken'): take the same step, with ray start's own helper (it also refreshes the
    config ray read at import); an explicit RAY_AUTH_MODE is respected."""
    try:
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available as enable_token_auth,
        )
    except ImportError:  # a Ray without token authentication
        return
    enable_token_auth(warn_if_disabled=False)


class RayEngine:
    name = "ray"

    def __init__(self, spec: WorkSpec, workers: int | None, address: str = "auto", gpus_per_worker: float = 0.0,
                 cpus_per_worker: float = 1.0):
        self.spec, self.address = spec, address
        self.gpus, self.cpus = gpus_per_worker, cpus_per_worker
        self.workers = workers or 0
        self._ray = None

    def start(self, out_dir: Path, root: Path) -> None:
        try:
            import ray
        except ImportError:
            raise RayEngineError("--engine ray needs the ray package: pip install 'ray>=2.40'") from None
        self._ray = ray
        _token_auth_like_ray_start()
        try:
            ray.init(address=self.address, logging_level=logging.WARNING, log_to_driver=False,
                     configure_logging=True)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RayEngineError(f"no Ray cluster at {self.address!r} ({exc}); start one with `ray start --head` "
                                 "(and `ray start --address HEAD:PORT` on the other machines)") from None
        self.check_shared_fs(out_dir, root)
        if not self.workers:
            res = ray.cluster_resources()
            per = (res.get("GPU", 0) / self.gpus) if self.gpus else (res.get("CPU", 1) / self.cpus)
            self.workers = max(1, int(per))

    def check_shared_fs(self, out_dir: Path, root: Path) -> None:
        ray = self._ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        out_dir.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex
        marker = out_dir / f".anon-batch-fs-check-{token}"
        marker.write_text(token, encoding="utf-8")
        try:
            probe = ray.remote(num_cpus=0)(_probe)
            nodes = [n for n in ray.nodes() if n.get("Alive")]
            refs = [probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False))
                    .remote(str(marker), token, str(root)) for n in nodes]
            results = ray.get(refs, timeout=FS_CHECK_TIMEOUT_S)
        finally:
            marker.unlink(missing_ok=True)
        blind = [f"{r['host']} (sees no {out_dir if not r['out'] else root})" for r in results
                 if not (r["out"] and r["input"])]
        if blind:
            raise RayEngineError(f"Ray node(s) {', '.join(blind)}: "
                                 "--engine ray needs INPUT and OUT_DIR on a filesystem every node mounts at the "
                                 "same path (NFS, CephFS, ...)")

    def close(self) -> None:
        if self._ray is not None and self._ray.is_initialized():
            self._ray.shutdown()

    def run(self, tasks: list[list[WorkItem]], on_result: Callable[[int, list[dict]], None],
            on_frames: FrameSink, tick: Callable[[], None]) -> None:
        ray = self._ray
        actor_cls = ray.remote(BatchWorker).options(num_cpus=self.cpus, num_gpus=self.gpus or None,
                                                    max_restarts=-1, max_task_retries=TASK_RETRIES)
        actors = [actor_cls.remote(self.spec) for _ in range(min(self.workers, len(tasks)))]
        free, todo, running = list(actors), deque(range(len(tasks))), {}
        try:
            while todo or running:
                while free and todo:
                    actor, i = free.pop(), todo.popleft()
                    running[actor.run_task.remote(tasks[i])] = (actor, i)
                ready, _ = ray.wait(list(running), num_returns=1, timeout=POLL_S)
                tick()
                for ref in ready:
                    actor, i = running.pop(ref)
                    try:
                        entries = ray.get(ref)
                    except ray.exceptions.RayError as exc:  # retries used up, or the actor cannot come back
                        entries = lost(tasks[i], f"Ray worker lost after {TASK_RETRIES} retries: {type(exc).__name__}")
                    on_frames(sum(e.get("frames") or 0 for e in entries if e["status"] != "skipped"))
                    on_result(i, entries)
                    free.append(actor)
        finally:
            for actor in actors:  # on an interrupt this stops running jobs; the driver sweeps their temp files
                ray.kill(actor, no_restart=True)
