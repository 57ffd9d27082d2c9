"""`anon count INPUT [--gt GT.txt] [--person-detector NAME] [--targets ...] [--method ...] [--line x1,y1,x2,y2]
[--json OUT.json] [-o ANON.mp4 [--report REPORT.json]] [--study]`: person counts on raw versus anonymized frames.

Raw counts are computed inside the pipeline on the raw frames (analyze-then-anonymize); the anonymized
frames are counted again.  --person-detector picks the counting detector (also used when --targets
includes person; default yolox-nano-hd).  With --gt (a MOTChallenge gt.txt or a sequence folder; persons
at least --min-visibility visible) the summary and the JSON get MAE, RMSE, bias,
per-frame error and utility retained (anonymized RMSE / raw RMSE); --study adds the table across
anonymization settings (face-only vs whole-person, blur / pixelate / fill, box vs ellipse).  -o writes
the anonymized video through the same job loop as `anon video`; --report its audit report (input and
output sha256, models, per-frame regions) with the counts under "analytics".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from anon_core.cli.errors import CliError
from anon_core.cli.options import add_output_options, add_pipeline_options, config_from_args
from anon_core.detectors import ModelUnavailableError
from anon_core.groundtruth import GroundTruthError, load_mot
from anon_core.jobs import JobOptions
from anon_core.media import MediaError, open_source
from anon_core.outputs import Outputs
from showcases.counting.counts import SMOOTHING, CounterConfig, PersonCounter
from showcases.counting.lines import ANCHORS, gt_line_counts, parse_line
from showcases.counting.metrics import per_frame_error
from showcases.counting.session import CountOptions, CountSession, build_pipeline, count_job, gt_counts, json_safe
from showcases.counting.study import DEFAULT_SETTINGS, run_study


def _line(text: str):
    try:
        return parse_line(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _fraction(value: str) -> float:
    """Scores and visibilities lie in [0, 1]: 5 used to be taken, leaving an empty ground truth or no count."""
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"use a number from 0 to 1; got {value!r}") from None
    if not 0.0 <= x <= 1.0:
        raise argparse.ArgumentTypeError(f"use a number from 0 to 1; got {value}")
    return x


def register(sub: argparse._SubParsersAction) -> None:
    help_ = "count persons on raw and on anonymized frames, against ground truth when given"
    p = sub.add_parser("count", help=help_, description=__doc__.split("\n\n", 1)[1],
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="video file or frame folder (MOT layout img1/000001.jpg ... works)")
    p.add_argument("--gt", default=None, metavar="GT.txt",
                   help="MOTChallenge ground truth (gt.txt or a sequence folder with gt/gt.txt); "
                        "'auto' looks for gt/gt.txt next to a frame folder")
    p.add_argument("--json", default=None, metavar="OUT.json", help="write per-frame counts and metrics here")
    p.add_argument("-o", "--output", default=None, metavar="ANON.mp4", help="also write the anonymized video")
    p.add_argument("--report", default=None, metavar="REPORT.json",
                   help="audit report of the -o video (input and output sha256, models, per-frame regions, the "
                        "counts under analytics), as `anon video --report` writes")
    p.add_argument("--count-threshold", type=_fraction, default=None,
                   help="score threshold of the counting detector (default: 0.55 for the -hd detectors, "
                        "whose partly hidden people score low; the detector's own for the others)")
    p.add_argument("--min-visibility", type=_fraction, default=0.5,
                   help="with --gt: count the ground-truth persons at least this visible (MOT17 visibility "
                        "column; default 0.5, the people one can see; 0 counts everyone annotated)")
    p.add_argument("--line", type=_line, default=None, metavar="x1,y1,x2,y2",
                   help="count in/out crossings of this line (pixels); 'in' = from its left to its right side "
                        "when looking from (x1,y1) to (x2,y2) in the image")
    p.add_argument("--anchor", choices=ANCHORS, default="foot", help="track point that crosses the line")
    p.add_argument("--smooth", choices=SMOOTHING, default="none",
                   help="also report metrics of smoothed counts (centred median or EMA)")
    p.add_argument("--window", type=int, default=5, help="smoothing window in frames (default 5)")
    p.add_argument("--study", action="store_true",
                   help="also compare all anonymization settings (face-only/whole-person x blur/pixelate/fill)")
    p.add_argument("--overlay", action="store_true", help="draw the live count (and the line) onto the output video")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_pipeline_options(p)
    add_output_options(p)
    p.set_defaults(func=run)


def _gt_path(args) -> Path | None:
    if args.gt is None:
        return None
    if args.gt != "auto":
        return Path(args.gt)
    root = Path(args.input)
    for cand in (root / "gt" / "gt.txt", root.parent / "gt" / "gt.txt"):
        if cand.is_file():
            return cand
    raise CliError(f"--gt auto: no gt/gt.txt next to {root}; pass the ground truth file with --gt PATH")


def run(args: argparse.Namespace) -> int:
    if args.report and not args.output:
        raise CliError("--report is the audit report of the anonymized video: add -o OUT.mp4")
    if args.output and Path(args.output).suffix.lower() not in (".mp4", ".m4v"):
        raise CliError(f"{args.output}: the anonymized video is written as H.264 MP4; name it *.mp4")
    config = config_from_args(args)
    try:
        counter = PersonCounter.from_config(CounterConfig(args.person_detector, args.count_threshold,
                                                          auto_download=not args.no_download))
        pipeline = build_pipeline(config, counter)
    except ModelUnavailableError as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if counter.detector.info.weak:
        print(f"note: {counter.name} is a weak person detector: {counter.detector.info.weak}", file=sys.stderr)
    options = CountOptions(line=args.line, anchor=args.anchor, overlay=args.overlay, smoothing=args.smooth,
                           window=args.window)
    gt_path = _gt_path(args)
    # Outputs (anon_core.outputs): -o and --json are checked before the work, written to temps and
    # published together at the end; never over an input, an existing file only with --overwrite.
    with Outputs([args.input, gt_path], overwrite=args.overwrite) as outs:
        video_tmp = outs.file(args.output) if args.output else None
        json_tmp = outs.file(args.json, "JSON") if args.json else None
        report_tmp = outs.file(args.report, "report") if args.report else None
        out, audit = _count(args, config, pipeline, counter, options, gt_path, video_tmp)
        _print_summary(out)
        if json_tmp is not None:
            json_tmp.write_text(json.dumps(json_safe(out), indent=1), encoding="utf-8")
        if report_tmp is not None:
            audit.output["path"] = str(args.output)
            audit.write(report_tmp)
    written = [p for p in (args.json, args.output, args.report) if p]
    if written:
        print("wrote " + " and ".join(map(str, written)))
    return 0


def _count(args, config, pipeline, counter, options, gt_path, video_tmp):
    """(the JSON result, the job's audit report)."""
    try:
        if gt_path:  # check the ground truth before spending time on the video
            layout = load_mot(gt_path).layout
            print(f"note: ground truth {gt_path}: {layout}", file=sys.stderr)
            source = open_source(args.input)
            frames = source.info.frame_count
            source.close()
            if frames:
                gt_counts(gt_path, frames, args.min_visibility)
        session = CountSession(counter, options)
        audit = count_job(args.input, video_tmp, pipeline, session, JobOptions(progress=not args.no_progress))
        series = session.series(audit.input.get("info", {}).get("fps"))
        gt = gt_counts(gt_path, len(series), args.min_visibility) if gt_path else None
        out = series.to_dict(gt)
        out["input"] = str(args.input)
        out["counter"] = counter.describe()
        out["pipeline"] = pipeline.config.to_dict()
        if gt is not None:
            out["ground_truth"] = str(gt_path)
            out["ground_truth_layout"] = layout
            out["gt_min_visibility"] = args.min_visibility
            out["per_frame_error"] = {"raw": per_frame_error(series.raw_array, gt).tolist()}
            if series.anonymized is not None:
                out["per_frame_error"]["anonymized"] = per_frame_error(series.anonymized_array, gt).tolist()
            if args.line is not None:
                out.setdefault("line", {})["gt"] = gt_line_counts(load_mot(gt_path), args.line, args.anchor,
                                                                  len(series)).to_dict()
            if args.smooth != "none":
                sm = series.smoothed(args.smooth, args.window).metrics(gt)
                out["metrics_smoothed"] = {"method": args.smooth, "window": args.window,
                                           **{k: (v.to_dict() if hasattr(v, "to_dict") else v) for k, v in sm.items()}}
        if args.study:
            study = run_study(args.input, counter, DEFAULT_SETTINGS, config, gt, detectors=dict(pipeline.detectors))
            out["study"] = study.table()
    except (MediaError, GroundTruthError, ValueError) as exc:
        raise CliError(str(exc)) from None
    if args.output:
        out["output"] = str(args.output)
    return out, audit


def _print_summary(out: dict) -> None:
    rows = out["per_frame"]
    raw = [r["raw"] for r in rows if r["raw"] is not None]
    anon = [r.get("anonymized") for r in rows if r.get("anonymized") is not None]
    line = f"{out['frames']} frames: mean raw count {sum(raw) / max(len(raw), 1):.2f}"
    if anon:
        line += f", mean anonymized count {sum(anon) / len(anon):.2f}"
    print(line)
    m = out.get("metrics")
    if m:
        for key in ("raw", "anonymized"):
            if key in m:
                print(f"  {key:10s} MAE {m[key]['mae']:.3f}  RMSE {m[key]['rmse']:.3f}  bias {m[key]['bias']:+.3f}")
        if "utility_retained" in m:
            print(f"  utility retained (anonymized RMSE / raw RMSE): {m['utility_retained']:.3f}")
    for key, lc in out.get("line", {}).items():
        print(f"  line crossings ({key}): in {lc['in']}, out {lc['out']}")
    for row in out.get("study", []):
        extra = f"  RMSE {row['rmse']:.3f}  utility {row['utility_retained']:.3f}" if "rmse" in row else ""
        print(f"  {row['setting']:24s} mean {row['mean_count']:.2f}  RMSE vs raw {row['rmse_vs_raw']:.3f}{extra}")
