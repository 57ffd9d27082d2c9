"""`anon synth KIND -o DIR`: generate synthetic footage with exact ground truth."""

from __future__ import annotations

import argparse

from anon_core.cli.errors import CliError
from anon_core.outputs import Outputs
from anon_core.synth.samples import build_scene
from anon_core.synth.scenes import KINDS, SceneConfig
from anon_core.synth.writer import write_scene


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r}: write WIDTHxHEIGHT, e.g. 640x360") from None
    return w, h


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "synth", help="generate synthetic footage (openpeople) with exact ground truth",
        description="Compose a scene of synthetic people (nobody in it exists) and write video.mp4, "
                    "gt/gt.txt (MOTChallenge), faces.jsonl and meta.json into DIR.")
    p.add_argument("kind", choices=KINDS, help="scene kind")
    p.add_argument("-o", "--output", required=True, help="output directory")
    p.add_argument("--seconds", type=float, default=None, help="duration (default: 8, webcam 6)")
    p.add_argument("--fps", type=float, default=15.0, help="frame rate (default 15)")
    p.add_argument("--people", type=int, default=None, help="number of people (default depends on the kind)")
    p.add_argument("--objects", type=int, default=4, help="industrial: moving boxes/pallets/carts (default 4)")
    p.add_argument("--size", type=_size, default=None, help="WIDTHxHEIGHT (default 960x540, faces/webcam 640x480)")
    p.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same footage")
    p.add_argument("--no-line", action="store_true", help="walkway: no counting line")
    p.add_argument("--frames", action="store_true", help="also write lossless PNG frames to DIR/img1/")
    p.add_argument("--no-video", action="store_true", help="skip video.mp4 (ground truth and frames only)")
    p.add_argument("--overwrite", action="store_true",
                   help="DIR is not empty: replace the files synth writes there (others are kept)")
    p.set_defaults(func=run)


def run(args) -> int:
    try:
        cfg = SceneConfig(kind=args.kind, seconds=args.seconds, fps=args.fps, people=args.people, size=args.size,
                          seed=args.seed, line=not args.no_line, objects=args.objects).resolved()
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.no_video and not args.frames:
        raise CliError("--no-video without --frames would write no pictures; add --frames or drop --no-video")

    # Rendered into a temp folder beside DIR and moved in only when complete (anon_core.outputs):
    # a non-empty DIR is refused unless --overwrite, and then only synth's own file names are replaced.
    with Outputs(overwrite=args.overwrite) as out:
        tmp = out.folder(args.output)
        write_scene(build_scene(cfg), tmp, frames=args.frames, video=not args.no_video, progress=not args.verbose)
    print(f"wrote {cfg.num_frames} frames {cfg.size[0]}x{cfg.size[1]} @ {cfg.fps:g} fps to {args.output} "
          f"({'video.mp4, ' if not args.no_video else ''}gt/gt.txt, faces.jsonl, meta.json"
          f"{', img1/' if args.frames else ''})")
    return 0
