"""`anon video --device cuda`: the GPU path's options, checked against what it supports."""

from __future__ import annotations

import argparse
import sys

from anon_core.cli.errors import CliError

GPU_METHODS = ("blur", "pixelate", "fill")


def add_device_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("device")
    g.add_argument("--device", default="cpu", metavar="cpu|cuda|cuda:N",
                   help="cpu (default): the full pipeline on onnxruntime; cuda: faces with CenterFace in torch "
                        "on the GPU, batched fp16, frames kept in YUV (needs torch with CUDA)")
    g.add_argument("--batch", type=int, default=16, help="frames per GPU batch (default 16; --device cuda only)")


def gpu_job_from_args(args: argparse.Namespace):
    """A GpuVideoJob for these arguments, or a CliError that says what to change."""
    problems = []
    if tuple(args.targets) != ("face",):
        problems.append("--targets face (persons need --device cpu)")
    if args.face_detector != "centerface":
        problems.append("--face-detector centerface")
    if args.method not in GPU_METHODS:
        problems.append(f"--method {'|'.join(GPU_METHODS)}")
    if args.policy:
        problems.append("no --policy")
    if getattr(args, "keep_faces", None):
        problems.append("no --keep-faces (the consent list runs on the CPU pipeline)")
    if problems:
        raise CliError("the GPU path anonymizes faces with CenterFace only; use " + ", ".join(problems) +
                       ", or run with --device cpu")
    if args.detect_every != 1:
        print("note: --device cuda detects faces on every frame; --detect-every is not needed and is ignored")
    import torch

    from anon_core.anonymize.policy import region_defaults
    from anon_core.gpu.anonymize import GpuStyle
    from anon_core.gpu.video_job import GpuJobOptions, GpuVideoJob

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise CliError(f"--device {args.device}: torch {torch.__version__} sees no CUDA GPU (install a CUDA build "
                       "of torch on a machine with an NVIDIA driver), or run with --device cpu")
    try:
        from anon_core.zones import parse_zone

        options = GpuJobOptions(device=args.device, batch=args.batch, input_width=args.detect_width,
                                threshold=args.threshold, hold=args.hold,
                                style=GpuStyle(args.method, **region_defaults("face", args.shape, args.padding)),
                                zones=tuple(parse_zone(z) for z in getattr(args, "privacy_zones", ()) or ()))
        job = GpuVideoJob(options)
    except (ValueError, RuntimeError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from None
    for warning in job.zones.control.warnings() if job.zones is not None else []:
        print(f"warning: {warning}", file=sys.stderr)
    return job
