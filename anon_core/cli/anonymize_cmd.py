"""`anon image|video|frames INPUT -o OUTPUT [pipeline options] [--report FILE.json]`."""

from __future__ import annotations

import argparse
import sys

from anon_core.cli.errors import CliError
from anon_core.cli.gpu_options import add_device_options, video_job
from anon_core.cli.options import (
    add_control_options,
    add_output_options,
    add_pipeline_options,
    pipeline_from_args,
    x264_crf,
)
from anon_core.jobs import (
    JobOptions,
    anonymize_frames,
    anonymize_image,
    anonymize_video,
    check_video_output,
)
from anon_core.media import VIDEO_SUFFIXES, EncodeOptions, MediaError
from anon_core.outputs import check_outputs

X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")

JOBS = {
    "image": (anonymize_image, "anonymize a photo (EXIF orientation applied, metadata stripped)"),
    "video": (anonymize_video, "anonymize a video file into an H.264 MP4 (same frames, fps and duration)"),
    "frames": (anonymize_frames, "anonymize a folder of frames (img1/000001.jpg ...) into a folder or an MP4"),
}


def register(sub: argparse._SubParsersAction) -> None:
    for name, (_, help_) in JOBS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("input", help="input file or folder")
        p.add_argument("-o", "--output", required=True, help="output file (or folder for frames)")
        p.add_argument("--report", default=None, metavar="FILE.json", help="write the JSON audit report here")
        if name != "image":
            p.add_argument("--keep-audio", action="store_true", help="copy the audio track (dropped by default)")
            p.add_argument("--preset", default=EncodeOptions.preset, choices=X264_PRESETS,
                           help=f"x264 speed/size trade-off of the output (default {EncodeOptions.preset})")
            p.add_argument("--crf", type=x264_crf, default=EncodeOptions.crf,
                           help=f"x264 quality 0-51, lower is better (default {EncodeOptions.crf})")
            p.add_argument("--allow-partial", action="store_true",
                           help="truncated/undecodable input: keep the readable frames and exit 3 (default: exit 2)")
        add_output_options(p)
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
        add_pipeline_options(p)
        add_control_options(p)
        if name == "video":
            add_device_options(p)
        p.set_defaults(func=run, job=name)


def run(args: argparse.Namespace) -> int:
    if args.job == "image" and args.detect_every != 1:
        args.detect_every = 1
    _check_paths(args)  # refuse bad output paths before loading models
    pipeline = pipeline_from_args(args)
    job = video_job(args, pipeline, JOBS[args.job][0])
    encode = EncodeOptions(crf=args.crf, preset=args.preset) if args.job != "image" else None
    options = JobOptions(keep_audio=getattr(args, "keep_audio", False), report_path=args.report,
                         progress=not args.no_progress and args.job != "image", encode=encode,
                         overwrite=args.overwrite, allow_partial=getattr(args, "allow_partial", False))
    try:
        report = job(args.input, args.output, pipeline, options)
    except MediaError as exc:
        raise CliError(str(exc)) from None
    s = report.summary()
    print(f"wrote {args.output}: {s['frames']} frame(s), {s['regions']} region(s) anonymized, "
          f"{s['fps']} frames/s" + (f", report {args.report}" if args.report else ""))
    for key in ("note", "note_size"):  # --keep-audio on a silent input, an odd size padded: said without --report too
        if (getattr(report, "output", None) or {}).get(key):
            print(f"note: {report.output[key]}", file=sys.stderr)
    if s["failed_frames"]:
        partial = report.input.get("partial")
        what = (f"input incomplete: {partial['frames_read']} frame(s) read, {len(partial['missing_frames'])} "
                "missing (listed in the report)") if partial else (
            f"{s['failed_frames']} frame(s) failed and were fully obscured (see the report)")
        print(f"anon {args.job}: warning: {what}", file=sys.stderr)
        return 3
    return 0


def _check_paths(args: argparse.Namespace) -> None:
    from pathlib import Path

    out = Path(args.output)
    as_folder = args.job == "frames" and out.suffix.lower() not in VIDEO_SUFFIXES
    if as_folder and out.exists() and not out.is_dir():
        raise MediaError(f"{out}: exists and is not a folder; give a folder (or an .mp4) for the frames")
    if args.job != "image" and not as_folder:
        check_video_output(Path(args.input), out)
    check_outputs([args.input], files=[None if as_folder else out, args.report], folders=[out if as_folder else None],
                  overwrite=args.overwrite)
