"""`anon bench batch`: throughput of `anon batch` (files/s, frames/s) with 1 and 2 workers (or any list)
on the local engine and on a one-node Ray cluster started for the run, and the scaling ratio.

The archive is generated: synthetic webcam clips (`anon_core.synth`, exact same bytes per seed) and
openpeople portraits.  Each run is a fresh batch into its own OUT_DIR, wall time from start to summary,
so worker start-up and model loading are included (as a user sees them).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from anon_core.batch.runner import BatchConfig, run_batch
from anon_core.bench.report import write_json
from anon_core.bench.runner import hardware
from anon_core.cli.batch_cmd import config_from_args
from anon_core.cli.errors import CliError
from anon_core.cli.main import build_parser
from anon_core.synth import ensure_sample

SCALING_GOAL = 1.7  # issue #18: 1 -> 2 workers on the local engine


@dataclass
class BatchBenchConfig:
    clips: int = 4
    seconds: float = 4.0
    size: tuple[int, int] = (640, 480)
    photos: int = 8
    workers: tuple[int, ...] = (1, 2)
    engines: tuple[str, ...] = ("local", "ray")
    options: tuple[str, ...] = ("--detect-every", "auto")  # pipeline options, as on the command line
    threads: int | None = None  # per worker; None = the engine's default (cores / workers locally)


def build_archive(dest: Path, cfg: BatchBenchConfig) -> dict:
    import cv2
    import openpeople

    (dest / "clips").mkdir(parents=True)
    (dest / "photos").mkdir()
    for seed in range(cfg.clips):
        sample = ensure_sample("webcam", seed=seed, seconds=cfg.seconds, size=cfg.size)
        shutil.copyfile(sample.video, dest / "clips" / f"clip{seed}.mp4")
    people = openpeople.curated.list()
    for i in range(cfg.photos):
        img = cv2.imread(people[i % len(people)].asset_path("studio_portrait"))
        scale = 640 / max(img.shape[:2])
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(dest / "photos" / f"p{i}.jpg"), img if i < len(people) else cv2.flip(img, 1))
    return {"clips": cfg.clips, "clip_seconds": cfg.seconds, "clip_size": list(cfg.size), "photos": cfg.photos}


def _options(extra: tuple[str, ...]) -> dict:
    return config_from_args(build_parser().parse_args(["batch", "IN", "-o", "OUT", *extra])).options


def run_batch_bench(cfg: BatchBenchConfig, progress=print) -> dict:
    work = Path(tempfile.mkdtemp(prefix="anon-bench-batch-"))
    try:
        archive = build_archive(work / "in", cfg)
        options = _options(cfg.options)
        runs = []
        for engine in cfg.engines:
            for n in cfg.workers:
                progress(f"bench batch: {engine}, {n} worker(s)")
                load = os.getloadavg()[0]
                bc = BatchConfig(str(work / "in"), work / f"out-{engine}-{n}", options, engine=engine, workers=n,
                                 progress=False, ray_address="local", threads=cfg.threads)
                start = time.perf_counter()
                s = run_batch(bc)
                wall = time.perf_counter() - start
                runs.append({"engine": engine, "workers": n, "files": s.processed, "failed": s.failed,
                             "frames": s.frames, "seconds": round(wall, 2), "files_per_s": round(s.processed / wall, 3),
                             "frames_per_s": round(s.frames / wall, 2), "load_avg_1min_before": round(load, 2)})
        return {"archive": archive, "options": list(cfg.options), "threads_per_worker": cfg.threads, "runs": runs,
                "scaling": _scaling(runs),
                "goal": f">= {SCALING_GOAL}x frames/s from 1 to 2 workers on the local engine",
                "hardware": hardware()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _scaling(runs: list[dict]) -> dict:
    out = {}
    for engine in dict.fromkeys(r["engine"] for r in runs):
        by = {r["workers"]: r["frames_per_s"] for r in runs if r["engine"] == engine}
        if 1 in by and by[1] > 0:
            out[engine] = {f"{n}/1": round(v / by[1], 2) for n, v in sorted(by.items()) if n != 1}
    local = out.get("local", {}).get("2/1")
    out["goal_met"] = None if local is None else local >= SCALING_GOAL
    return out


def batch_markdown(result: dict) -> str:
    a = result["archive"]
    lines = [f"Archive: {a['clips']} synthetic webcam clips ({a['clip_seconds']} s, {a['clip_size'][0]}x"
             f"{a['clip_size'][1]}) + {a['photos']} photos; options: {' '.join(result['options']) or '(defaults)'}; "
             f"{result['hardware']['cpu']} ({result['hardware']['cpu_count']} cores); threads per worker: "
             f"{result.get('threads_per_worker') or 'engine default'}", "",
             "| engine | workers | files | frames | seconds | files/s | frames/s | load avg before |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["runs"]:
        lines.append(f"| {r['engine']} | {r['workers']} | {r['files']} | {r['frames']} | {r['seconds']} | "
                     f"{r['files_per_s']} | {r['frames_per_s']} | {r['load_avg_1min_before']} |")
    for engine, ratios in result["scaling"].items():
        if engine != "goal_met":
            lines.append(f"\nscaling {engine}: " + ", ".join(f"{k} workers {v}x" for k, v in ratios.items()))
    lines.append(f"goal {result['goal']}: {'met' if result['scaling'].get('goal_met') else 'not met'}")
    return "\n".join(lines)


def register(sub) -> None:
    """`anon bench batch`, added to the `anon bench` modes by anon_core/bench/cli.py."""
    s = sub.add_parser("batch", help="anon batch throughput: files/s, frames/s for 1 and 2 workers, local and Ray",
                       description=__doc__)
    s.add_argument("--clips", type=int, default=4, help="synthetic webcam clips (default 4)")
    s.add_argument("--seconds", type=float, default=4.0, help="clip length (default 4 s at 15 fps)")
    s.add_argument("--photos", type=int, default=8, help="openpeople portraits (default 8)")
    s.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)")
    s.add_argument("--engines", nargs="+", choices=("local", "ray"), default=["local", "ray"])
    s.add_argument("--threads", type=int, default=None,
                   help="threads per worker (default: the engine's, cores / workers locally, 1 on Ray)")
    s.add_argument("--json", type=Path, dest="json_out")
    s.add_argument("--md", type=Path, dest="md_out")
    s.set_defaults(func=run_cmd)


def run_cmd(args) -> int:
    import sys

    if args.engines.count("ray"):
        try:
            import ray  # noqa: F401
        except ImportError:
            raise CliError("--engines ray needs the ray package (pip install -r requirements.txt)") from None
    cfg = BatchBenchConfig(clips=args.clips, seconds=args.seconds, photos=args.photos, workers=tuple(args.workers),
                           engines=tuple(args.engines), threads=args.threads)
    result = run_batch_bench(cfg, progress=lambda m: print(m, file=sys.stderr, flush=True))
    result["command"] = "anon bench batch " + " ".join(sys.argv[3:] if sys.argv[1:3] == ["bench", "batch"] else [])
    md = batch_markdown(result)
    if args.json_out:
        write_json(result, args.json_out)
    if args.md_out:
        args.md_out.write_text(md + "\n", encoding="utf-8")
    print(md)
    return 0
