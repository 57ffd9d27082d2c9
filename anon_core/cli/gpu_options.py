"""`anon video|batch --device`: where the pipeline runs (anon_core/devices.py says what each device can do)."""

from __future__ import annotations

import argparse
from functools import partial

from anon_core.cli.errors import CliError
from anon_core.devices import DEVICE_HELP, on_device


def add_device_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("device")
    g.add_argument("--device", default="cpu", metavar=DEVICE_HELP,
                   help="cpu (default): onnxruntime; cuda: the same pipeline with the torch ports (CenterFace, YOLOX) "
                        "on the GPU, batched fp16, frames kept in YUV (needs torch with CUDA); cpu-torch: that path "
                        "on the CPU")
    g.add_argument("--batch", type=int, default=16, help="frames per device batch (default 16; not for --device cpu)")


def video_job(args: argparse.Namespace, pipeline, default):
    """The video job for this pipeline: `default` (anon_core.jobs) on the CPU, the batched device job else."""
    if not on_device(pipeline.config):
        return default

    if args.batch < 1:
        raise CliError("--batch must be >= 1")
    from anon_core.gpu.video_job import anonymize_video_on_device

    return partial(anonymize_video_on_device, batch=args.batch)
