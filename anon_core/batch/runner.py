"""Run a batch: discover, check the outputs are safe, plan tasks, dispatch them to an engine, write
the manifest from the results, show progress, and sum up."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from anon_core.batch.discovery import discover
from anon_core.batch.local_engine import LocalEngine
from anon_core.batch.manifest import MANIFEST_NAME, ManifestWriter, read_entries, settings_hash, settings_of
from anon_core.batch.outputs import UnsafeOutput, check_out_dir, sweep_temps
from anon_core.batch.ray_engine import RayEngine
from anon_core.batch.summary import BatchSummary
from anon_core.batch.work import WorkItem, WorkSpec
from anon_core.interrupts import Terminated, signals_raise

MAX_PHOTOS_PER_TASK = 32
TASKS_PER_WORKER = 4  # photo groups small enough that workers finish together


@dataclass
class BatchConfig:
    input: str | list[str]  # folders, globs, list files or files (several: mirrored from their common folder)
    out_dir: Path
    options: dict  # parsed CLI values: pipeline options, crf, preset, keep_audio, device, batch
    engine: str = "local"  # local | ray
    workers: int | None = None  # default: CPU cores (local), cluster CPUs / cpus per worker (ray)
    resume: bool = False
    progress: bool = True
    ray_address: str = "auto"
    gpus_per_worker: float = 0.0
    threads: int | None = None  # per worker; default cores / workers (local), 1 (ray: num_cpus per actor)
    photos_per_task: int | None = None
    extra_run_fields: dict = field(default_factory=dict)


def plan_tasks(work: list[WorkItem], workers: int, per_task: int | None = None) -> list[list[WorkItem]]:
    """One task per video, longest first (the tail of the batch is then short); photos in groups."""
    videos = sorted((w for w in work if w.item.kind == "video"), key=lambda w: -w.item.size)
    others = [w for w in work if w.item.kind != "video"]
    n = per_task or max(1, min(MAX_PHOTOS_PER_TASK, math.ceil(len(others) / (max(1, workers) * TASKS_PER_WORKER))))
    return [[v] for v in videos] + [others[i:i + n] for i in range(0, len(others), n)]


def make_engine(cfg: BatchConfig, spec_for):
    if cfg.engine == "ray":
        return RayEngine(spec_for(cfg.threads or 1), cfg.workers, cfg.ray_address, cfg.gpus_per_worker,
                         cpus_per_worker=float(cfg.threads or 1))

    workers = cfg.workers or os.cpu_count() or 1
    return LocalEngine(spec_for(cfg.threads or max(1, (os.cpu_count() or 1) // workers)), workers)


def _bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="file", desc="anon batch", dynamic_ncols=True, disable=not enabled)


def run_batch(cfg: BatchConfig, ready: Callable[[], None] | None = None) -> BatchSummary:
    """Raises DiscoveryError / UnsafeOutput / RayEngineError for bad input (nothing written then).
    `ready` runs once the input and OUT_DIR passed their checks, before anything is written (the CLI
    loads the models there, so a missing model is one error, not one per file)."""
    out_dir = Path(cfg.out_dir).expanduser().resolve()
    found = discover(cfg.input, out_dir)
    manifest_path = out_dir / MANIFEST_NAME
    check_out_dir(found.root, out_dir, found.items, manifest_path.is_file())
    if manifest_path.is_file() and not cfg.resume:
        raise UnsafeOutput(f"{out_dir} holds an earlier batch ({MANIFEST_NAME}); pass --resume to continue it "
                           "(unchanged files are skipped) or choose another OUT_DIR")
    if ready is not None:
        ready()
    import argparse

    settings = settings_of(argparse.Namespace(**cfg.options))
    shash = settings_hash(settings)
    prev = read_entries(manifest_path)
    work = [WorkItem(it, prev.get(it.src), fresh=not (Path(it.dst).exists() or Path(it.report).exists()))
            for it in found.items]
    engine = make_engine(cfg, lambda threads: WorkSpec(cfg.options, shash, threads))
    summary = BatchSummary(files=len(work), ignored=found.ignored, manifest=str(manifest_path), engine=cfg.engine)
    frames = [0]
    started = time.perf_counter()
    with signals_raise():  # Ctrl-C / SIGTERM: workers stopped, temps removed, the manifest keeps what finished
        try:
            engine.start(out_dir, found.root)
            tasks = plan_tasks(work, engine.workers, cfg.photos_per_task)
            summary.workers = min(engine.workers, len(tasks))
            with ManifestWriter(manifest_path) as manifest, _bar(len(work), cfg.progress) as bar:
                manifest.run_record(input=cfg.input, root=str(found.root), settings=shash, settings_detail=settings,
                                    engine=cfg.engine, workers=summary.workers, files=len(work),
                                    **cfg.extra_run_fields)

                def on_result(_task: int, entries: list[dict]) -> None:
                    for entry in entries:
                        manifest.write(entry)
                        summary.add(entry)
                    bar.update(len(entries))

                def on_frames(n: int) -> None:
                    frames[0] += n

                def tick() -> None:
                    elapsed = time.perf_counter() - started
                    bar.set_postfix(frames=frames[0], fps=f"{frames[0] / elapsed:.1f}" if elapsed > 0 else "-",
                                    failed=summary.failed, refresh=False)

                engine.run(tasks, on_result, on_frames, tick)
        except KeyboardInterrupt:
            summary.interrupted = 130
        except Terminated as exc:
            summary.interrupted = int(exc.code)
        finally:
            engine.close()
            sweep_temps(found.items)
    return summary.finish()
