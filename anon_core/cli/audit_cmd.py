"""`anon audit ORIGINAL ANONYMIZED [--report r.json] [--detector dlib-hog] [--every N] [--json out.json]`.

Exit status: 0 nothing flagged, 1 frames flagged (look at them), 2 bad input."""

from __future__ import annotations

import argparse
import json

from anon_core.audit import DEFAULT_DETECTOR, audit_media, frame_ranges, make_detector
from anon_core.cli.errors import CliError
from anon_core.cli.options import add_output_options
from anon_core.media import MediaError
from anon_core.outputs import check_outputs, write_text_atomic


def register(sub: argparse._SubParsersAction) -> None:
    help_ = "flag frames of an anonymized output where a face may remain (second detector + the job's report)"
    p = sub.add_parser("audit", help=help_, description=help_)
    p.add_argument("original", help="the input the anonymized output was made from (video, folder or image)")
    p.add_argument("anonymized", help="the anonymized output")
    p.add_argument("--report", default=None, metavar="FILE.json", help="the job's report: adds uncertain frames")
    p.add_argument("--detector", default=DEFAULT_DETECTOR,
                   help=f"independent face detector run on the output (default {DEFAULT_DETECTOR})")
    p.add_argument("--every", type=int, default=1, metavar="N", help="check every N-th frame (default 1)")
    p.add_argument("--json", default=None, metavar="OUT.json", help="write the findings as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_output_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.every < 1:
        raise CliError("--every must be >= 1")
    inputs = [args.original, args.anonymized, args.report]
    # before the long run: --json never replaces an input or a file this command did not write
    check_outputs(inputs, files=[args.json], overwrite=args.overwrite)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:  # made on the first frame, with its total, so a bad input prints no empty bar
            from tqdm import tqdm

            bar = tqdm(total=total, unit="frame", desc="audit", dynamic_ncols=True)
        bar.update(done - bar.n)

    try:
        detector = make_detector(args.detector)
        result = audit_media(args.original, args.anonymized, args.report, detector, every=args.every,
                             progress=None if args.no_progress else progress)
    except (MediaError, ValueError, KeyError) as exc:
        raise CliError(str(exc).strip("'\"")) from None
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        write_text_atomic(args.json, json.dumps(result.to_dict(), indent=1), inputs=[p for p in inputs if p],
                          overwrite=args.overwrite)
    kept = sum(len(v) for v in result.kept.values())
    print(f"checked {result.checked} of {result.frames} frame(s) with {args.detector}"
          + (f"; {kept} face(s) found were kept visible on purpose (consent list / never-zone)" if kept else ""))
    if not result.flagged:
        print("nothing flagged")
        return 0
    if result.visible:
        print(f"face may be visible: frames {frame_ranges(list(result.visible))}")
    if result.uncertain:
        print(f"uncertain detection: frames {frame_ranges(list(result.uncertain))}")
    for row in result.timeline()[:50]:
        print(f"  frame {row['frame']}: {'; '.join(row['reasons'][:3])}")
    if len(result.flagged) > 50:
        print(f"  ... {len(result.flagged) - 50} more (see --json)")
    return 1
