"""Device check of the product path: `GpuVideoJob` (what `anon video --device cuda` runs), PyAV decode
and libx264 encode included, on the prepared 1920x1080 clip.  Called by device_check when PyAV is
importable; a child mode runs one job per process for the several-files-at-once figure.

    python -m anon_core.gpu.job_check --child SRC DST GO_FILE     # internal: one job after GO_FILE exists
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av

from anon_core.gpu.check_data import DATA
from anon_core.gpu.video_job import GpuVideoJob
from anon_core.jobs import JobOptions

DEVICE = os.environ.get("ANON_CHECK_DEVICE", "cuda")  # cpu: a dry run of this script on a machine without GPU


def codec_ceiling(clip: Path, out_dir: Path) -> dict:
    """PyAV decode-only (I420, threaded) and libx264 ultrafast encode-only frames/s of the clip."""
    from anon_core.media.video import VideoReader, VideoWriter

    t0 = time.perf_counter()
    with VideoReader(clip) as r:
        planes = [(t, p) for t, p in r.timed_i420()]
    dec = len(planes) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    with VideoWriter(out_dir / "codec.mp4", 30.0) as w:
        for t, p in planes:
            w.write_i420(p, t)
    enc = len(planes) / (time.perf_counter() - t0)
    (out_dir / "codec.mp4").unlink(missing_ok=True)
    return {"frames": len(planes), "decode_i420_fps": dec, "encode_x264_ultrafast_fps": enc, "av": av.__version__}


def _job(batch: int = 16) -> GpuVideoJob:
    """The product's device job: a Pipeline with the device setting (cpu here means the torch port on the CPU)."""
    from anon_core.pipeline import Pipeline, PipelineConfig

    device = "cpu-torch" if DEVICE == "cpu" else DEVICE
    return GpuVideoJob(Pipeline(PipelineConfig(device=device)), batch=batch)


def region_stage_cost(frames: int = 600) -> dict:
    """Host time per frame of the region stage the device job shares with the CPU pipeline
    (Pipeline.follow: tracker, hold, growth, controls) on 3 moving 1080p faces, one missed every 10th
    frame, detections given: it runs on the job's main thread between device steps."""
    import numpy as np

    from anon_core.detections import Detections
    from anon_core.pipeline import Pipeline, PipelineConfig

    def no_detector(frame):  # follow() never detects; Pipeline wants a detector per target
        raise AssertionError("follow() must not detect")

    pipe = Pipeline(PipelineConfig(), detectors={"face": no_detector})
    shape_only = np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (1080, 1920, 3))
    base = np.array([[200, 300, 400, 560], [800, 200, 900, 330], [1500, 400, 1570, 490]], np.float32)
    dets = []
    for i in range(frames):
        keep = np.array([True, i % 10 != 5, True])
        boxes = base + np.array([(2 * i) % 300, 0, (2 * i) % 300, 0], np.float32)
        dets.append(Detections(boxes[keep], np.full(keep.sum(), 0.9, np.float32), "face"))
    for d in dets[:50]:  # warm-up
        pipe.follow(shape_only, d)
    pipe.reset()
    t0 = time.perf_counter()
    for d in dets:
        pipe.follow(shape_only, d)
    ms = 1000 * (time.perf_counter() - t0) / frames
    return {"frames": frames, "faces": 3, "ms_per_frame": round(ms, 3), "frames_per_s_ceiling": round(1000 / ms, 1)}


def _timed(job: GpuVideoJob, src: Path, dst: Path, options: JobOptions | None = None):
    """(report, wall-clock seconds) of one run."""
    t0 = time.perf_counter()
    report = job.run(src, dst, options)
    return report, time.perf_counter() - t0


def product_runs(clip: Path, warm: Path, out_dir: Path, batches=(16, 32, 16)) -> list[dict]:
    """One file at a time through GpuVideoJob, a new job (and warm-up run) per batch size; the clock
    covers the run of the clip only."""
    rows = []
    for batch in batches:
        job = _job(batch)
        job.run(warm, out_dir / "warm.mp4")
        report, wall = _timed(job, clip, out_dir / "out.mp4", JobOptions(report_path=out_dir / f"report_b{batch}.json"))
        s = report.summary()
        rows.append({"batch": batch, "frames": s["frames"], "wall_s": wall,
                     "fps": s["frames"] / wall,
                     "regions_per_frame": s["regions"] / max(1, s["frames"]), "failed_frames": s["failed_frames"],
                     "output_bytes": (out_dir / "out.mp4").stat().st_size, "main_thread": job.timing})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def parallel_runs(clip: Path, warm: Path, out_dir: Path, processes: int) -> dict:
    """`processes` files at once, one job per process (each its own model and CUDA context); the clock
    starts when every child has loaded and warmed up."""
    go = Path(tempfile.mkdtemp(dir=out_dir)) / "go"
    children = [subprocess.Popen([sys.executable, "-m", "anon_core.gpu.job_check", "--child", str(clip),
                                  str(out_dir / f"par{k}.mp4"), str(go), str(warm)],
                                 stdout=subprocess.PIPE, text=True) for k in range(processes)]
    ready = [c.stdout.readline() for c in children]  # each prints "ready" after its warm-up
    t0 = time.perf_counter()
    go.touch()
    results = [json.loads(c.communicate()[0].strip().splitlines()[-1]) for c in children]
    wall = time.perf_counter() - t0
    frames = sum(r["frames"] for r in results)
    for k in range(processes):
        (out_dir / f"par{k}.mp4").unlink(missing_ok=True)
    return {"processes": processes, "frames": frames, "wall_s": wall, "aggregate_fps": frames / wall,
            "per_process_fps": [r["fps"] for r in results], "ready": [x.strip() for x in ready]}


def cli_run(clip: Path, out_dir: Path) -> dict:
    """The command a user types, timed from the shell (model loading included)."""
    cmd = [sys.executable, "-m", "anon_core.cli.main", "video", str(clip), "-o", str(out_dir / "cli.mp4"),
           "--device", "cuda", "--no-progress", "--report", str(out_dir / "cli_report.json")]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    return {"cmd": " ".join(cmd[1:]), "rc": done.returncode, "wall_s": time.perf_counter() - t0,
            "stdout": done.stdout[-500:], "stderr": done.stderr[-1500:]}


def tuning(clip: Path, warm: Path, out_dir: Path) -> dict:
    """cuDNN benchmark mode off vs on: the CLI as a user runs it (fresh process: imports, model load,
    tuning included) and the steady state after a warm-up."""
    rows = {}
    for tune in ("0", "1"):
        os.environ["ANON_CUDNN_TUNE"] = tune
        row = cli_run(clip, out_dir)
        row.pop("cmd")
        job = _job()
        job.run(warm, out_dir / "warm.mp4")
        report, wall = _timed(job, clip, out_dir / "out.mp4")
        row["steady_fps"] = report.frame_count / wall
        rows["tune_" + tune] = row
        print(json.dumps({tune: row}), flush=True)
    os.environ.pop("ANON_CUDNN_TUNE")
    return rows


def _child(src: str, dst: str, go: str, warm: str) -> int:
    job = _job()
    job.run(warm, Path(dst).with_suffix(".warm.mp4"))
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.005)
    report, wall = _timed(job, Path(src), Path(dst))
    print(json.dumps({"frames": report.frame_count, "fps": report.frame_count / wall}), flush=True)
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", nargs=4, metavar=("SRC", "DST", "GO", "WARM"))
    ap.add_argument("--tuning", metavar="OUT_DIR", help="compare cuDNN tuning off/on on the prepared clip")
    ap.add_argument("--stage-cost", action="store_true", help="host ms/frame of the shared region stage")
    args = ap.parse_args()
    if args.stage_cost:
        print(json.dumps(region_stage_cost()))
        raise SystemExit(0)
    if args.tuning:
        result = tuning(DATA / "clip_1080p.mp4", DATA / "warm_1080p.mp4", Path(args.tuning))
        print(json.dumps(result, indent=1))
        raise SystemExit(0)
    raise SystemExit(_child(*args.child))
