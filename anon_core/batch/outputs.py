"""Output safety for a batch, on top of the project's rule (anon_core.outputs: never over an input,
atomic publish of output + report, temps removed on errors and signals): where OUT_DIR may be, which
existing files a worker may replace, and removal of temp files a killed worker could not remove
(`.<stem>.<random>.part<suffix>` beside the target, and the video writer's own temp beside that)."""

from __future__ import annotations

import glob
import json
from pathlib import Path

from anon_core.batch.discovery import BatchItem
from anon_core.models.checksums import sha256_file
from anon_core.outputs import resolved, same_path
from anon_core.report import SCHEMA


class UnsafeOutput(ValueError):
    """OUT_DIR or an output path would put a user's data at risk (exit 2)."""


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_out_dir(root: Path, out_dir: Path, items: list[BatchItem], has_manifest: bool) -> None:
    """OUT_DIR must not be the input tree, inside it, or hold it (outputs could land on inputs, and a
    rerun would pick outputs up as inputs); it must be new, empty, or an earlier batch's OUT_DIR."""
    root, out = resolved(root), resolved(out_dir.expanduser())
    if _inside(out, root):
        raise UnsafeOutput(f"OUT_DIR {out} is inside the input tree {root}; choose a folder outside it")
    if _inside(root, out):
        raise UnsafeOutput(f"the input tree {root} is inside OUT_DIR {out}; choose a folder outside it")
    if out.exists() and not out.is_dir():
        raise UnsafeOutput(f"OUT_DIR {out} exists and is not a folder")
    if out.is_dir() and not has_manifest and any(out.iterdir()):
        raise UnsafeOutput(f"OUT_DIR {out} is not empty and holds no batch manifest; give a new or empty folder "
                           "(anon batch never writes over files it did not create)")
    sources = {resolved(i.src) for i in items}
    for i in items:  # a list file can name inputs anywhere: no output may be one of them (also by inode)
        for target in (i.dst, i.report):
            if resolved(target) in sources or (Path(target).exists() and any(same_path(target, s) for s in sources)):
                raise UnsafeOutput(f"{i.src}: its output {target} would overwrite an input")


def _report_is_ours(report: Path, output: Path) -> bool:
    """An audit report of ours beside `output` that records exactly this output file."""
    try:
        head = json.loads(report.read_text(encoding="utf-8"))
        return head.get("schema") == SCHEMA and head["output"]["sha256"] == sha256_file(output)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def may_replace(item: BatchItem, prev: dict | None, fresh: bool) -> str | None:
    """None if the worker may (re)write item's output and report; else why not.  Ours are: files that
    did not exist when this run planned (`fresh`), outputs an earlier manifest entry records with the
    sha256 they still have, and outputs whose audit report beside them (our schema) records their sha256."""
    dst, report = Path(item.dst), Path(item.report)
    if fresh or not (dst.exists() or report.exists()):
        return None
    # An earlier entry makes the path ours only while it still holds what we wrote (its recorded sha256):
    # a file the user put there since, or one a failed entry left alone, is theirs (was replaced on --resume).
    recorded = (prev or {}).get("output_sha256")
    if recorded and prev.get("output") and Path(prev["output"]) == dst and (
            not dst.exists() or (dst.is_file() and sha256_file(dst) == recorded)):
        return None
    if dst.is_file() and report.is_file() and _report_is_ours(report, dst):
        return None
    return (f"{dst if dst.exists() else report} exists and was not written by anon batch; "
            "it is left untouched (move it away to process this file)")


def sweep_temps(items: list[BatchItem]) -> int:
    """Remove temp files of interrupted jobs beside the planned outputs; returns how many."""
    removed = 0
    for item in items:
        for target in (Path(item.dst), Path(item.report)):
            if not target.parent.is_dir():
                continue
            # `.c1.XXXX.part.mp4` (the job's temp) and `..c1.XXXX.part.YYYY.part.mp4` (the writer's, beside it)
            for tmp in target.parent.glob(f".*{glob.escape(target.stem)}.*.part*"):
                tmp.unlink(missing_ok=True)
                removed += 1
    return removed
