"""`anon bench`: the model comparison table (FPS, IoU pB/pC, recall, count RMSE) on footage with
ground truth, and `anon bench speed`: end-to-end throughput against deface on one clip."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from anon_core.bench import batch as batch_bench
from anon_core.bench.data import BenchDataError
from anon_core.bench.faces import leak_markdown, leak_rows, run_face_leaks
from anon_core.bench.methods import Style
from anon_core.bench.report import to_markdown, write_json, write_markdown
from anon_core.bench.runner import BenchConfig, run_bench
from anon_core.bench.speed import SpeedConfig, run_speed, speed_markdown
from anon_core.bench.wider import WiderFormatError, gt_file
from anon_core.cli.main import CliError
from anon_core.cli.options import add_output_options
from anon_core.outputs import check_outputs, write_text_atomic
from anon_core.synth import ensure_sample

LAYOUTS = ("GT layouts: a MOTChallenge folder (img1/ + gt/gt.txt), a folder with one video + gt.txt "
           "(synthetic samples: video.mp4 + gt/gt.txt + faces.jsonl), a photo set (images/ + gt/faces.csv), "
           "or WIDER FACE photos (images/ + gt/wider_face_val_bbx_gt.txt: faces left recognisable and "
           "collateral per setting, with a deface row).")


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1280x720, got {text!r}") from None
    return w, h


def _every(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--track-every takes integers or auto, got {text!r}") from None


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "bench", help="benchmark table: FPS, IoU pB/pC, recall, count RMSE per model (and `bench speed`)",
        description=__doc__ + "\n\n" + LAYOUTS + " Metric definitions: docs/benchmark.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gt-dir", type=Path, help="footage with ground truth (see layouts above)")
    p.add_argument("--synth", metavar="KIND", help="use a generated synthetic sample (walkway, faces, webcam...) "
                   "as --gt-dir")
    p.add_argument("--target", choices=("person", "face"), default=None,
                   help="what is anonymized and scored (default: person; face for photo sets and --synth faces)")
    p.add_argument("--models", nargs="+", help="detectors to compare (default: all person or face detectors; "
                   "missing weights are listed as skipped)")
    p.add_argument("--tracker-model",
                   help="detector for the '+ tracker every N' rows (default yolox-nano / centerface)")
    p.add_argument("--track-every", type=_every, nargs="*", default=[1, 3, 5, 10],
                   help="N values or auto (none: no tracker rows)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="cuda: torch ports of CenterFace/YOLOX")
    p.add_argument("--max-frames", type=int, help="use only the first N frames")
    p.add_argument("--min-visibility", type=float, default=0.5,
                   help="persons with MOT visibility: coverage and visible count over pedestrians at least "
                   "this visible (default 0.5)")
    p.add_argument("--method", default="blur", help="anonymization method of the detector rows (blur|pixelate|fill)")
    p.add_argument("--shape", choices=("box", "ellipse"), default=None,
                   help="region shape of the detector rows (default: the target's, as anon video: persons box, "
                   "faces ellipse)")
    p.add_argument("--padding", type=float, default=None,
                   help="region padding of the detector rows (default: the target's, persons 0.2, faces 0.3)")
    p.add_argument("--no-bounds", action="store_true", help="leave out Null / Perfect / Perfect black")
    p.add_argument("--deface", action=argparse.BooleanOptionalAction, default=None,
                   help="add deface as a reference row (default: on for faces)")
    p.add_argument("--thresholds", type=float, nargs="+",
                   help="WIDER photo sets: one row per face score threshold (besides the defaults)")
    p.add_argument("--json", type=Path, dest="json_out", help="write the result as JSON")
    p.add_argument("--md", type=Path, dest="md_out", help="write the table as Markdown")
    add_output_options(p)
    p.set_defaults(func=run_table)

    sub = p.add_subparsers(dest="bench_mode", metavar="MODE")
    s = sub.add_parser("speed", help="end-to-end face anonymization FPS and recall vs deface on one clip",
                       description="Decode, detect, anonymize, encode one clip with our engine and with "
                       "`deface --scale 640x360`, in the same run; recall of each from its output video.")
    s.add_argument("--clip", type=Path, help="video to process (face GT from faces.jsonl beside it, if any)")
    s.add_argument("--synth", default="webcam", help="synthetic sample kind when no --clip (default webcam)")
    s.add_argument("--size", type=_size, default=(1280, 720), help="synthetic clip size, e.g. 1280x720")
    s.add_argument("--seconds", type=float, default=10.0, help="synthetic clip length")
    s.add_argument("--people", type=int, help="people in the synthetic clip (e.g. --synth faces --people 6: "
                   "six moving faces)")
    s.add_argument("--detect-every", default="auto", help="N or auto (default auto)")
    s.add_argument("--detect-width", type=int, default=640,
                   help="face detector input width (default 640, deface's --scale 640x360)")
    s.add_argument("--no-deface", action="store_true", help="skip the deface reference run")
    s.add_argument("--target", choices=("face", "person"), default="face",
                   help="person: whole persons on the synthetic 1080p crowd (default --synth crowd --size "
                        "1920x1080 --seconds 6), default person detector, no deface")
    s.add_argument("--keep", type=Path, help="keep the output videos in this folder")
    s.add_argument("--json", type=Path, dest="json_out")
    s.add_argument("--md", type=Path, dest="md_out")
    add_output_options(s)
    s.set_defaults(func=run_speed_cmd)
    batch_bench.register(sub)  # `anon bench batch` (anon_core/bench/batch.py)


def run_table(args) -> int:
    gt_dir = args.gt_dir
    if gt_dir is None and args.synth:
        gt_dir = Path(ensure_sample(args.synth).root)
    if gt_dir is None:
        raise CliError("give --gt-dir DIR (" + LAYOUTS + ") or --synth KIND")
    if not gt_dir.exists():
        raise CliError(f"{gt_dir} does not exist; " + LAYOUTS)
    check_outputs([gt_dir], files=[args.json_out, args.md_out], overwrite=args.overwrite)  # before the long run

    if args.target in (None, "face") and gt_file(gt_dir) is not None:
        return run_leak_table(args, gt_dir)
    target = args.target or ("face" if (gt_dir / "gt" / "faces.csv").is_file() or args.synth in ("faces", "webcam")
                             else "person")
    try:
        style = Style(args.method, args.shape, args.padding)
        cfg = BenchConfig(gt_dir, target, tuple(args.models) if args.models else None, args.tracker_model,
                          tuple(args.track_every or ()), args.device, args.max_frames, style,
                          bounds=not args.no_bounds, deface=args.deface, min_visibility=args.min_visibility)
        result = run_bench(cfg, progress=lambda name: print(f"bench: {name}", file=sys.stderr, flush=True))
    except BenchDataError as exc:
        raise CliError(str(exc)) from None
    if args.json_out:
        write_json(result, args.json_out, args.overwrite, [gt_dir])
    if args.md_out:
        write_markdown(result, args.md_out, args.overwrite, [gt_dir])
    print(to_markdown(result))
    return 0


def run_leak_table(args, gt_dir: Path) -> int:
    command = "anon " + " ".join(sys.argv[1:])
    try:
        rows = leak_rows(tuple(args.models or ()), tuple(args.thresholds or ()), args.device, args.deface is not False)
        result = run_face_leaks(gt_dir, rows, args.max_frames,
                                progress=lambda msg: print(f"bench: {msg}", file=sys.stderr, flush=True))
    except WiderFormatError as exc:
        raise CliError(str(exc)) from None
    result["command"] = command
    md = leak_markdown(result, command)
    if args.json_out:
        write_json(result, args.json_out, args.overwrite, [gt_dir])
    if args.md_out:
        write_text_atomic(args.md_out, md, inputs=[gt_dir], overwrite=args.overwrite)
    print(md)
    return 0


def run_speed_cmd(args) -> int:
    every = args.detect_every if args.detect_every == "auto" else int(args.detect_every)
    if args.clip is not None and not args.clip.is_file():
        raise CliError(f"{args.clip} is not a file; give a video, or leave --clip out to use a synthetic clip")
    check_outputs([args.clip], files=[args.json_out, args.md_out], overwrite=args.overwrite)
    person = args.target == "person"
    synth = "crowd" if person and args.synth == "webcam" else args.synth
    size = (1920, 1080) if person and args.size == (1280, 720) else args.size
    seconds = 6.0 if person and args.seconds == 10.0 else args.seconds
    cfg = SpeedConfig(args.clip, synth, size, seconds, every, deface=not (args.no_deface or person),
                      detect_width=args.detect_width, target=args.target, people=args.people)
    result = run_speed(cfg, keep_dir=args.keep)
    result["command"] = "anon bench speed " + " ".join(sys.argv[3:] if sys.argv[1:3] == ["bench", "speed"] else [])
    if args.json_out:
        write_json(result, args.json_out, args.overwrite, [args.clip])
    md = speed_markdown(result)
    if args.md_out:
        write_text_atomic(args.md_out, md, inputs=[args.clip], overwrite=args.overwrite)
    print(md)
    if not args.json_out:
        print(json.dumps({k: result[k] for k in ("goals",)}, indent=1))
    return 0
