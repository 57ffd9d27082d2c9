"""`anon attributes INPUT [--method M ...] --json OUT.json [-o anonymized [--report REPORT.json]]`

INPUT is an image, a video, or the word `openpeople` (the labelled benchmark: portraits, selfies and
emotion-sheet faces, with accuracy against labels).  The JSON holds the method comparison
(re-identification rate, mean embedding distance, sex agreement, age MAE, emotion agreement,
accuracy vs labels), per-face raw vs anonymized estimates and, for video, the emotion timeline.
"""

from __future__ import annotations

import json
from pathlib import Path

from anon_core.cli.errors import CliError
from anon_core.cli.options import add_output_options
from anon_core.detectors.catalog import create_detector
from anon_core.media import IMAGE_SUFFIXES, VIDEO_SUFFIXES, MediaError, read_image
from anon_core.outputs import Outputs
from showcases.attributes.methods import ANALYZE_THEN_ANONYMIZE, METHODS


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "attributes", help="age, sex and emotion on raw vs anonymized faces (privacy/utility trade-off)",
        description=__doc__.split("\n\n")[0])
    p.add_argument("input", help="image, video, or 'openpeople' for the labelled benchmark")
    p.add_argument("--method", action="append", choices=METHODS, default=None,
                   help=f"method(s) to compare (repeat; default all: {', '.join(METHODS)}); "
                        "the first one anonymizes the -o output")
    p.add_argument("--json", required=True, type=Path, help="write the figures to this JSON file")
    p.add_argument("-o", "--output", type=Path, help="write the anonymized image/video here")
    p.add_argument("--report", type=Path, default=None, metavar="REPORT.json",
                   help="with -o: the audit report of the output (input and output sha256, models, "
                        "per-frame regions, the attributes summary), as `anon video/image --report` writes")
    p.add_argument("--faces", type=int, default=60, help="openpeople: number of faces to evaluate (max 180)")
    p.add_argument("--every", type=float, default=1.0, help="video: compare methods on one frame per N seconds")
    p.add_argument("--no-overlay", action="store_true", help="do not draw the estimates on the output")
    p.add_argument("--no-progress", action="store_true", help="video: no progress bar")
    add_output_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    # deliberately lazy: the models' modules import torch (showcases.attributes.methods says how much)
    from showcases.attributes.analysis import Analyzer
    from showcases.attributes.media_run import RunConfig, run_image, run_image_file, run_video

    methods = tuple(dict.fromkeys(args.method or METHODS))
    config = RunConfig(method=methods[0], methods=methods, compare_every_s=args.every, overlay=not args.no_overlay)
    src = Path(args.input)
    is_bench = args.input == "openpeople"
    if args.report and (is_bench or not args.output):
        raise CliError("--report is the audit report of the anonymized output: give an image or a video and "
                       "-o OUT (OUT.mp4 for a video)")
    if not is_bench and not src.is_file():
        raise CliError(f"{src} does not exist; give an image, a video, or 'openpeople'")
    suffix = src.suffix.lower()
    if not is_bench and suffix not in IMAGE_SUFFIXES and suffix not in VIDEO_SUFFIXES:
        raise CliError(f"{src}: unsupported file type {suffix!r}; use an image "
                       f"({', '.join(sorted(IMAGE_SUFFIXES))}) or a video ({', '.join(sorted(VIDEO_SUFFIXES))})")
    if args.output and not is_bench:
        kind = IMAGE_SUFFIXES if suffix in IMAGE_SUFFIXES else VIDEO_SUFFIXES
        if args.output.suffix.lower() not in kind:
            raise CliError(f"-o {args.output}: use a {'n image' if kind is IMAGE_SUFFIXES else ' video'} suffix "
                           f"like the input ({', '.join(sorted(kind))})")
    detector = create_detector("centerface")
    analyzer = Analyzer()
    report = {"input": str(args.input), "methods_compared": list(methods), "output_method": methods[0],
              "reid_threshold": 0.6}
    # Outputs (anon_core.outputs): checked before the work, published together at the end.
    with Outputs([] if is_bench else [src], overwrite=args.overwrite) as outs:
        json_tmp = outs.file(args.json, "JSON")
        out_tmp = outs.file(args.output) if args.output else None
        report_tmp = outs.file(args.report, "report") if args.report else None
        try:
            if is_bench:
                report |= _benchmark(detector, analyzer, methods, args.faces)
            else:
                if suffix in VIDEO_SUFFIXES:
                    result = run_video(src, out_tmp, detector, analyzer, config, progress=not args.no_progress)
                elif out_tmp is not None:  # through the job loop: the output gets its audit report
                    result = run_image_file(src, out_tmp, detector, analyzer, config)
                else:
                    result = run_image(read_image(src), detector, analyzer, config)
                report |= result.to_json()
                if report_tmp is not None:
                    result.audit.output["path"] = str(args.output)
                    result.audit.write(report_tmp)
        except MediaError as exc:
            raise CliError(str(exc)) from None
        json_tmp.write_text(json.dumps(report, indent=2), encoding="utf-8")
    for row in report.get("methods", []):
        print(f"{row['method']:>24}: re-id {row['reid_rate']:.0%}  dist {row['mean_distance']:.2f}  "
              f"sex agree {row['sex_agreement']:.0%}  age MAE {row['age_mae']:.1f}  "
              f"emotion agree {row['emotion_agreement']:.0%}")
    if not report.get("methods"):
        print("no faces found: nothing to compare")
    return 0


def _benchmark(detector, analyzer, methods, n_faces: int) -> dict:
    from showcases.attributes.analysis import labelled_items
    from showcases.attributes.dataset import openpeople_faces

    faces = openpeople_faces(detector)
    step = max(1, len(faces) // max(1, n_faces))
    comparison = analyzer.compare(labelled_items(faces[::step][:n_faces]), methods)
    return {"methods": comparison.table(), "raw_vs_labels": comparison.raw_scores,
            "faces": comparison.face_records(), "note": f"{ANALYZE_THEN_ANONYMIZE} reports raw-face estimates"}
