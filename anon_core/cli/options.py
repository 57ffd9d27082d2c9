"""Pipeline options shared by every command that anonymizes (image, video, frames, showcases)."""

from __future__ import annotations

import argparse
import sys

from anon_core.anonymize import ANONYMIZERS, Policy, PolicyError
from anon_core.cli.errors import CliError
from anon_core.detectors import DETECTORS, ModelUnavailableError, detector_info
from anon_core.pipeline import Pipeline, PipelineConfig


def _every(value: str):
    if value == "auto":
        return value
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("use a positive integer or 'auto'") from None
    if n < 1:
        raise argparse.ArgumentTypeError("use a positive integer or 'auto'")
    return n


def _width(value: str) -> int | None:
    if value == "native":
        return None
    try:
        width = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("use a pixel width such as 640, or 'native'") from None
    if width < 32:  # was silently raised to 32 px, where no face is found: refused instead
        raise argparse.ArgumentTypeError(f"use a pixel width of at least 32 (such as 640), or 'native'; got {value}")
    return width


def x264_crf(value: str) -> int:
    """--crf of every command that encodes: x264's 8-bit range 0-51 (a negative value was a traceback
    from avcodec_open2; above 51 x264 quietly clamped it)."""
    try:
        crf = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"use a whole number from 0 to 51; got {value!r}") from None
    if not 0 <= crf <= 51:
        raise argparse.ArgumentTypeError(f"x264 quality runs from 0 (lossless) to 51; got {crf}")
    return crf


def _targets(value: str) -> tuple[str, ...]:
    items = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [v for v in items if v not in ("face", "person")]
    if bad or not items:
        raise argparse.ArgumentTypeError(f"targets are face and/or person (comma separated), got {value!r}")
    return items


def add_pipeline_options(p: argparse.ArgumentParser, default_targets: str = "face") -> None:
    faces = [n for n in DETECTORS.names() if detector_info(n).finds_faces]
    persons = [n for n in DETECTORS.names() if detector_info(n).finds_persons]
    g = p.add_argument_group("anonymization")
    g.add_argument("--targets", type=_targets, default=_targets(default_targets),
                   help=f"what to anonymize: face, person or face,person (default {default_targets})")
    g.add_argument("--method", default="blur", choices=ANONYMIZERS.names(), help="anonymization method")
    g.add_argument("--shape", default=None, choices=["box", "ellipse"],
                   help="region shape (default: ellipse for faces, box for persons)")
    g.add_argument("--padding", type=float, default=None,
                   help="grow regions by this fraction (default: 0.3 for faces, 0.2 for persons)")
    g.add_argument("--strength", type=float, default=1.0,
                   help="1 = default, higher is stronger; floors (refused below): blur 0.1, pixelate 0.8 "
                        "(see README, Privacy guarantees)")
    g.add_argument("--face-detector", default="centerface", choices=faces)
    g.add_argument("--person-detector", default="yolox-nano-hd", choices=persons)
    g.add_argument("--threshold", type=float, default=None, help="detection score threshold (default: per model)")
    g.add_argument("--detect-width", type=_width, default=1280, metavar="PX|native",
                   help="face detector input width (default 1280; smaller is faster but misses small faces)")
    g.add_argument("--detect-every", type=_every, default=1, metavar="N|auto",
                   help="run detectors every N frames, tracking in between; auto adapts N to motion")
    g.add_argument("--hold", type=int, default=8, metavar="K",
                   help="keep a region anonymized K frames after its last detection (default 8)")
    g.add_argument("--no-download", action="store_true",
                   help="never download a missing model (default: fetch it on first use, with a progress bar)")
    g.add_argument("--policy", default=None, metavar="FILE",
                   help="YAML/JSON privacy policy (target -> method, shape, padding); overrides --method")


def add_control_options(p: argparse.ArgumentParser) -> None:
    """Zones and the consent list (anon_core/zones.py, anon_core/consent): image, video, frames."""
    g = p.add_argument_group("zones and consent")
    g.add_argument("--zone", action="append", default=[], metavar="always|never=x1,y1,x2,y2,...", dest="privacy_zones",
                   help="polygon always anonymized (always=) or never anonymized (never=); pixels, or fractions "
                        "of the frame when every value <= 1; repeat for more zones")
    g.add_argument("--keep-faces", default=None, metavar="DIR",
                   help="consent list: faces matching a person enrolled in DIR (DIR/PERSON/*.jpg or "
                        "DIR/PERSON_*.jpg) stay visible; everyone else is anonymized")


def add_output_options(p: argparse.ArgumentParser) -> None:
    """--overwrite for every command that writes files (see anon_core.outputs for the rule)."""
    p.add_argument("--overwrite", action="store_true",
                   help="replace existing output files (only the files this command writes; inputs never)")


def config_from_args(args: argparse.Namespace) -> PipelineConfig:
    policy = None
    if args.policy:
        try:
            policy = Policy.from_file(args.policy)
        except PolicyError as exc:
            raise CliError(str(exc)) from None
    targets = tuple(args.targets) if policy is None else tuple(t for t in policy.targets if t in ("face", "person"))
    if policy is not None and not targets:  # was "targets must be a non-empty subset of face, person; got ()"
        raise CliError(f"policy {args.policy} has no face or person rule (it names {', '.join(policy.targets)}); "
                       "e.g. face: {method: blur}")
    try:
        return PipelineConfig(targets=targets, face_detector=args.face_detector, person_detector=args.person_detector,
                              threshold=args.threshold, detect_every=args.detect_every, hold_frames=args.hold,
                              method=args.method, shape=args.shape, padding=args.padding, policy=policy,
                              strength=getattr(args, "strength", 1.0),
                              detect_width=args.detect_width, auto_download=not args.no_download,
                              zones=tuple(getattr(args, "privacy_zones", ()) or ()),
                              keep_faces=getattr(args, "keep_faces", None), device=getattr(args, "device", "cpu"))
    except (ValueError, PolicyError) as exc:
        raise CliError(str(exc)) from None


def pipeline_from_args(args: argparse.Namespace, **kwargs) -> Pipeline:
    config = config_from_args(args)
    try:
        pipeline = Pipeline(config, **kwargs)
    except (ModelUnavailableError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    for target, det in pipeline.detectors.items():
        if det.info.weak:
            print(f"note: {det.info.name} ({target}s) is a weak model: {det.info.weak}")
    for control in pipeline.controls:
        for warning in getattr(control, "warnings", list)():
            print(f"warning: {warning}", file=sys.stderr)
    return pipeline
