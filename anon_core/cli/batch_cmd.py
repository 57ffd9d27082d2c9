"""`anon batch INPUT -o OUT_DIR [pipeline options] [--engine local|ray] [--workers N] [--resume]`:
a folder (recursive), a glob or a list file of photos and videos into a mirrored tree under OUT_DIR,
each output with its audit report beside it, one JSON Lines manifest and a summary.

Exit status: 0 every file done or unchanged, 3 some file failed (recorded, the batch went on),
2 bad input or an unsafe OUT_DIR (nothing written), 130/143 interrupted by Ctrl-C/SIGTERM (rerun
with --resume)."""

from __future__ import annotations

import argparse
from pathlib import Path

from anon_core.batch.discovery import DiscoveryError
from anon_core.batch.outputs import UnsafeOutput
from anon_core.batch.ray_engine import RayEngineError  # ray itself is imported only when that engine starts
from anon_core.batch.runner import BatchConfig, run_batch
from anon_core.cli.anonymize_cmd import X264_PRESETS
from anon_core.cli.errors import CliError
from anon_core.cli.gpu_options import add_device_options
from anon_core.cli.options import add_control_options, add_pipeline_options, pipeline_from_args, x264_crf
from anon_core.cli.options import config_from_args as pipeline_config_from_args
from anon_core.media import EncodeOptions

# One GPU, local engine: two files at once kept an H200 as busy as one (325 vs 308-333 frames/s, README);
# more processes only add decoder/encoder threads and GPU memory.
GPU_LOCAL_WORKERS = 2
DRIVER_ONLY = ("func", "command", "input", "output", "engine", "workers", "resume", "no_progress", "ray_address",
               "gpus_per_worker", "threads", "photos_per_task", "verbose")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("batch", help="anonymize a folder/glob/list of photos and videos (resumable; local or Ray)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", nargs="+", metavar="INPUT",
                   help="a folder (walked recursively), a glob ('clips/**/*.mp4', quoted; unquoted ones the shell "
                   "expands work too), a text file listing paths (.txt/.lst/.list, one a line), or several of these")
    p.add_argument("-o", "--output", required=True, metavar="OUT_DIR",
                   help="new or empty folder (or an earlier batch's, with --resume); outside the input tree")
    p.add_argument("--resume", action="store_true",
                   help="continue a batch in OUT_DIR: skip files whose input, settings and output are unchanged")
    g = p.add_argument_group("engine")
    g.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local: process pool on this machine (default); ray: actors on a Ray cluster")
    g.add_argument("--workers", type=int, default=None, help="parallel workers, one model set each (default: CPU "
                   "cores locally; cluster CPUs, or GPUs / --gpus-per-worker, on Ray)")
    g.add_argument("--threads", type=int, default=None, help="threads per worker (default: cores / workers locally; "
                   "1 on Ray, where it is also the CPUs each actor reserves)")
    g.add_argument("--ray-address", default="auto", metavar="auto|HOST:PORT", help="Ray cluster (default auto)")
    g.add_argument("--gpus-per-worker", type=float, default=0.0, metavar="G",
                   help="GPUs each Ray worker reserves (use with --device cuda)")
    g.add_argument("--photos-per-task", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--keep-audio", action="store_true", help="copy audio tracks (dropped by default)")
    p.add_argument("--preset", default=EncodeOptions.preset, choices=X264_PRESETS, help="x264 preset of video outputs")
    p.add_argument("--crf", type=x264_crf, default=EncodeOptions.crf,
                   help=f"x264 quality 0-51, lower is better (default {EncodeOptions.crf})")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_pipeline_options(p)
    add_control_options(p)
    add_device_options(p)
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace):
    if args.workers is not None and args.workers < 1:
        raise CliError("--workers must be at least 1")
    if args.threads is not None and args.threads < 1:
        raise CliError("--threads must be at least 1")
    if args.gpus_per_worker and args.engine != "ray":
        raise CliError("--gpus-per-worker is for --engine ray; locally use --device cuda with --workers")
    workers = args.workers
    if args.device != "cpu":
        if args.engine == "ray" and not args.gpus_per_worker:
            raise CliError("--device cuda on Ray needs --gpus-per-worker (e.g. 1): Ray hides GPUs from workers "
                           "that reserved none")
        if args.engine == "local" and workers is None:
            workers = GPU_LOCAL_WORKERS
    options = {k: v for k, v in vars(args).items() if k not in DRIVER_ONLY}
    return BatchConfig(args.input, Path(args.output), options, engine=args.engine, workers=workers,
                       resume=args.resume, progress=not args.no_progress, ray_address=args.ray_address,
                       gpus_per_worker=args.gpus_per_worker, threads=args.threads, photos_per_task=args.photos_per_task)


def check_models(args: argparse.Namespace) -> None:
    """Load the models once here: a missing model is one clear error (and downloaded once) instead of a
    failure per file in every worker."""
    if getattr(args, "device", "cpu") != "cpu" and args.engine != "local":
        pipeline_config_from_args(args)  # what the device cannot do is refused here; its GPUs are the workers'
        return
    pipeline_from_args(args)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    try:
        summary = run_batch(cfg, ready=lambda: check_models(args))
    except (DiscoveryError, UnsafeOutput, RayEngineError) as exc:
        raise CliError(str(exc)) from None
    for line in summary.lines():
        print(line)
    if summary.interrupted:
        return summary.interrupted
    return 3 if summary.failed else 0
