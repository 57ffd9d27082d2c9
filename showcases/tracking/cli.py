"""`anon track INPUT [--gt GT.txt] [--classes person,car,truck,...] [--detector NAME|gt] [--method ...]
--json OUT.json [-o annotated.mp4] [--zone name=x1,y1,x2,y2 ...]`: multi-object tracking on raw and on
anonymized frames, side by side.

The raw side is tracked inside the process on the raw frames (only boxes and ids leave); the anonymized
side is tracked on the frames the anonymization pipeline produced (--targets, --method ...).  The JSON has
tracks per class, spans, zone dwell time / entries / exits and, with --gt (MOTChallenge gt.txt), MOTA,
IDF1, ID switches, precision and recall of both sides.  -o writes the anonymized video with track ids and
trails.  --detector gt feeds the tracker noisy ground-truth boxes instead of a model: it evaluates the
tracker on classes no COCO detector knows (the synthetic scene's boxes, pallets, carts) and gives the same
result on raw and anonymized input, since it never looks at the pixels.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from anon_core.cli.errors import CliError
from anon_core.cli.options import add_output_options, add_pipeline_options, config_from_args, pipeline_from_args
from anon_core.detectors import ModelUnavailableError, detector_info
from anon_core.detectors.catalog import DEFAULT_PERSON_DETECTOR
from anon_core.groundtruth import GroundTruthError, load_mot
from anon_core.media import MediaError
from anon_core.outputs import Outputs
from anon_core.tracking.tracker import TrackerConfig
from showcases.tracking.analysis import TRACK_THRESHOLD, TrackingConfig, default_tracker, track_threshold
from showcases.tracking.detect import GT_DETECTOR, make_detector, tracking_detectors
from showcases.tracking.session import TrackJob, run_job
from showcases.tracking.zones import parse_zone


def _classes(value: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    if not items:
        raise argparse.ArgumentTypeError("give class names separated by commas, e.g. person,car,truck")
    return items


def _zone(value: str):
    try:
        return parse_zone(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub: argparse._SubParsersAction) -> None:
    help_ = "track objects and workers on raw and anonymized frames; MOTA/IDF1 against ground truth"
    p = sub.add_parser("track", help=help_, description=__doc__.split("\n\n", 1)[1],
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="video file or frame folder (MOT layout img1/000001.jpg ... works)")
    p.add_argument("--gt", default=None, metavar="GT.txt",
                   help="MOTChallenge ground truth (gt.txt or a sequence folder); 'auto' = gt/gt.txt next to INPUT")
    p.add_argument("--classes", type=_classes, default=("person",), metavar="person,car,...",
                   help="classes to track, each with its own tracks (default person)")
    p.add_argument("--detector", default=DEFAULT_PERSON_DETECTOR, choices=[*tracking_detectors(), GT_DETECTOR],
                   help=f"object detector for tracking (default {DEFAULT_PERSON_DETECTOR}: YOLOX-Nano at a 1920 px "
                        "input, for small people); 'gt' = noisy ground truth (needs --gt)")
    hd = track_threshold(DEFAULT_PERSON_DETECTOR), default_tracker(DEFAULT_PERSON_DETECTOR).high_score
    p.add_argument("--track-threshold", type=float, default=None,
                   help=f"detector score threshold for tracking (default per detector: {TRACK_THRESHOLD}, so that "
                        f"weak boxes feed the tracker's second stage; {hd[0]} for the -hd detectors)")
    d = default_tracker()
    p.add_argument("--high-score", type=float, default=None,
                   help=f"boxes at or above this score start tracks and match first (default per detector: "
                        f"{d.high_score}; {hd[1]} for the -hd detectors)")
    p.add_argument("--max-age", type=int, default=d.max_age,
                   help=f"frames a lost track waits for re-entry (default {d.max_age})")
    p.add_argument("--min-hits", type=int, default=d.min_hits,
                   help=f"detections before a track gets an id (default {d.min_hits})")
    p.add_argument("--predicted-rows", type=int, default=0, metavar="N",
                   help="also report tracker predictions up to N frames after a miss (default 0)")
    # dest track_zones: kept apart from the privacy zones (always=/never=, dest privacy_zones) of anon video
    p.add_argument("--zone", type=_zone, action="append", default=[], metavar="name=x1,y1,x2,y2", dest="track_zones",
                   help="zone for dwell time / entries / exits: rectangle name=x1,y1,x2,y2 or polygon "
                        "name=x,y;x,y;x,y (pixels); repeat for several")
    p.add_argument("--anchor", choices=["foot", "center"], default="foot", help="track point for zones and trails")
    p.add_argument("--json", required=True, metavar="OUT.json", help="write tracks, zones and metrics here")
    p.add_argument("-o", "--output", default=None, metavar="annotated.mp4",
                   help="write the anonymized video with track ids and trails")
    p.add_argument("--draw", choices=["anonymized", "raw"], default="anonymized",
                   help="whose tracks -o shows: tracked on the anonymized frames (default) or on the raw frames "
                        "(analyze-then-anonymize: raw boxes drawn on anonymized frames)")
    p.add_argument("--report", default=None, metavar="REPORT.json",
                   help="audit report of the -o video (input and output sha256, models, per-frame regions), "
                        "as `anon video --report` writes")
    p.add_argument("--csv", default=None, metavar="TRACKS.csv", help="also write the track rows (column 'input')")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_pipeline_options(p)
    add_output_options(p)
    p.set_defaults(func=run)


def _gt(args):
    if args.gt is None:
        return None
    path = Path(args.gt)
    if args.gt == "auto":
        root = Path(args.input)
        cands = [root / "gt" / "gt.txt", root.parent / "gt" / "gt.txt"]
        path = next((c for c in cands if c.is_file()), None)
        if path is None:
            raise CliError(f"--gt auto: no gt/gt.txt next to {root}; pass the ground truth file with --gt PATH")
    try:
        gt = load_mot(path)
    except GroundTruthError as exc:
        raise CliError(str(exc)) from None
    print(f"note: ground truth {path}: {gt.layout}", file=sys.stderr)
    return gt


class _Bar:
    """The tqdm bar, made on the first frame with its total: a bad input printed an empty
    `0frame [00:00, ?frame/s]` bar (twice) above its error line."""

    def __init__(self):
        self.bar = None

    def update(self, i: int, total: int | None) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total or None, unit="frame", file=sys.stderr)
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _progress(enabled: bool):
    if not enabled:
        return None, None
    bar = _Bar()
    return bar.update, bar


def run(args: argparse.Namespace) -> int:
    if args.report and not args.output:
        raise CliError("--report is the audit report of the anonymized video: add -o OUT.mp4")
    if args.output and Path(args.output).suffix.lower() not in (".mp4", ".m4v"):
        raise CliError(f"{args.output}: the annotated video is written as H.264 MP4; name it *.mp4")
    gt = _gt(args)
    config_from_args(args)  # validates the anonymization options first
    try:
        high = default_tracker(args.detector).high_score if args.high_score is None else args.high_score
        tracker = TrackerConfig(max_age=args.max_age, min_hits=args.min_hits, high_score=high)
        config = TrackingConfig(classes=args.classes, tracker=tracker, predicted_rows=args.predicted_rows,
                                anchor=args.anchor)
        threshold = track_threshold(args.detector) if args.track_threshold is None else args.track_threshold
        fetch = args.detector != GT_DETECTOR and not args.no_download and detector_info(args.detector).source in (
            "download", "torchvision")  # the CLI fetches missing weights on first use (README, Models)
        detect = make_detector(args.detector, args.classes, threshold, gt, **({"auto_download": True} if fetch else {}))
    except (ValueError, ModelUnavailableError) as exc:
        raise CliError(str(exc)) from None
    pipeline = pipeline_from_args(args)
    if args.detector == GT_DETECTOR:
        print("note: detector 'gt' = noisy ground truth; raw and anonymized results are equal by construction "
              "(it measures the tracker, not the effect of anonymization on detection)", file=sys.stderr)
    # Outputs (anon_core.outputs): checked before the work, published together at the end.
    with Outputs([args.input, None if args.gt in (None, "auto") else args.gt], overwrite=args.overwrite) as outs:
        json_tmp = outs.file(args.json, "JSON")
        video_tmp = outs.file(args.output) if args.output else None
        csv_tmp = outs.file(args.csv, "CSV") if args.csv else None
        report_tmp = outs.file(args.report, "report") if args.report else None
        job = TrackJob(zones=args.track_zones, output=video_tmp, draw=args.draw)
        update, bar = _progress(not args.no_progress)
        try:
            outcome = run_job(args.input, detect, pipeline, config, job, gt=gt, progress=update)
        except (MediaError, ValueError) as exc:
            raise CliError(str(exc)) from None
        finally:
            if bar is not None:
                bar.close()
        report = {"input": str(args.input), **outcome.report}
        if gt is not None:
            report["ground_truth"] = str(args.gt)
            report["ground_truth_layout"] = gt.layout
        json_tmp.write_text(json.dumps(report, indent=1, default=_jsonable), encoding="utf-8")
        if report_tmp is not None:
            outcome.audit.output["path"] = str(args.output)
            outcome.audit.write(report_tmp)
        if csv_tmp is not None:
            _write_csv(outcome.result, csv_tmp)
    _print_summary(report)
    print(f"wrote {args.json}" + (f" and {args.output}" if args.output else "")
          + (f" and {args.report}" if args.report else ""))
    return 0


def _jsonable(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _write_csv(result, path: str) -> None:
    import pandas as pd

    frames = [t.df.assign(input=name) for name, t in result.tables.items()]
    pd.concat(frames, ignore_index=True).to_csv(path, index=False, float_format="%.2f")


def _print_summary(report: dict) -> None:
    print(f"{report['frames']} frames at {report['fps']:.2f} fps")
    for name, side in report["sides"].items():
        counts = ", ".join(f"{k}: {v}" for k, v in side["tracks_per_class"].items()) or "none"
        print(f"  {name:10s} tracks per class: {counts}")
        for z in side.get("zones", []):
            print(f"    zone {z['name']}: {z['tracks']} tracks, {z['entries']} entries, {z['exits']} exits, "
                  f"mean dwell {z['mean_dwell_s']:.2f} s")
    for row in report.get("metrics", []):
        delta = row["input"].startswith("anonymized -")
        cells = []
        for key, name in (("mota", "MOTA"), ("idf1", "IDF1"), ("precision", "P"), ("recall", "R")):
            v = row.get(key)
            cells.append(f"{name} " + ("   -  " if v is None else f"{v:+6.2f}" if delta else f"{100 * v:6.2f}"))
        sw = f"{row['id_switches']:+d}" if delta else f"{row['id_switches']:3d}"
        print(f"  {row['input']:26s} " + "  ".join(cells) + f"  IDsw {sw}")
