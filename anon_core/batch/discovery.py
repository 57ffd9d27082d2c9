"""What a batch works on: INPUT (a folder walked recursively, a glob, or a text file listing paths)
becomes items, each with the output path that mirrors it under OUT_DIR (`a/b/c.mp4` -> `OUT/a/b/c.mp4`)."""

from __future__ import annotations

import glob
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from anon_core.media import IMAGE_SUFFIXES, VIDEO_SUFFIXES

REPORT_SUFFIX = ".report.json"  # the audit report beside each output: c.mp4 -> c.mp4.report.json
VIDEO_OUT_SUFFIXES = (".mp4", ".m4v")  # what the video writer produces; other containers become .mp4
LIST_SUFFIXES = (".txt", ".lst", ".list")


class DiscoveryError(ValueError):
    """INPUT names nothing usable (exit 2)."""


@dataclass(frozen=True)
class BatchItem:
    src: str  # absolute input path
    rel: str  # path relative to the input root, POSIX separators (the mirrored part)
    kind: str  # image | video | unknown (listed explicitly but not a photo or video: recorded as failed)
    dst: str  # absolute output path
    size: int = 0

    @property
    def report(self) -> str:
        return self.dst + REPORT_SUFFIX


@dataclass
class Discovery:
    root: Path  # the folder the output tree mirrors
    items: list[BatchItem]
    ignored: int = 0  # files in a walked folder that are neither photos nor videos (e.g. .txt, .json)
    sources: list[str] = field(default_factory=list)


def media_kind(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    return "unknown"


def _walk(folder: Path) -> tuple[list[Path], int]:
    """Media files under `folder` (symlinked folders are not followed, hidden entries skipped)."""
    found, ignored = [], 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if media_kind(path) == "unknown":
                ignored += 1
            else:
                found.append(path)
    return found, ignored


def _listed(list_file: Path) -> list[Path]:
    """Paths from a text file, one a line; blank lines and '#' comments skipped; relative to the file."""
    out = []
    for line in list_file.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            path = Path(line).expanduser()
            out.append(path if path.is_absolute() else list_file.parent / path)
    return out


def _root_of(paths: list[Path]) -> Path:
    parents = {str(p.parent) for p in paths}
    return Path(os.path.commonpath(sorted(parents)))


def collect(spec: str) -> tuple[Path, list[Path], int]:
    """(root, files, ignored) for a folder, a glob or a list file."""
    path = Path(spec).expanduser()
    if path.is_dir():
        files, ignored = _walk(path.resolve())
        return path.resolve(), files, ignored
    if path.is_file() and path.suffix.lower() in LIST_SUFFIXES:
        files = [p.resolve() for p in _listed(path)]
        if not files:
            raise DiscoveryError(f"{spec}: the list names no files")
        missing = [str(p) for p in files if not p.is_file()]
        if missing:
            raise DiscoveryError(f"{spec}: {len(missing)} listed path(s) are not files, e.g. {missing[0]}")
        return _root_of(files), files, 0
    if path.is_file():
        resolved = path.resolve()
        return resolved.parent, [resolved], 0
    if glob.has_magic(spec):
        matches = [Path(m).resolve() for m in sorted(glob.glob(os.path.expanduser(spec), recursive=True))]
        files = [m for m in matches if m.is_file() and not m.name.startswith(".")]
        if not files:
            raise DiscoveryError(f"{spec}: the pattern matches no files")
        return _root_of(files), files, 0
    raise DiscoveryError(f"{spec}: no such folder, file or glob; give a folder, a glob such as 'clips/**/*.mp4' "
                         f"(quoted) or a text file listing paths ({'/'.join(LIST_SUFFIXES)})")


def _output_rel(rel: str, kind: str, taken: Counter) -> str:
    if kind != "video" or Path(rel).suffix.lower() in VIDEO_OUT_SUFFIXES:
        return rel
    mp4 = str(Path(rel).with_suffix(".mp4"))
    # c.mov and c.avi in one folder would both become c.mp4: then keep the whole name (c.mov.mp4)
    return mp4 if taken[mp4] == 1 else rel + ".mp4"


def collect_all(specs: list[str]) -> tuple[Path, list[Path], int]:
    """Several INPUTs (e.g. a glob the shell expanded): the union, mirrored from their common folder."""
    if len(specs) == 1:
        return collect(specs[0])
    roots, files, ignored = [], {}, 0
    for spec in specs:
        root, found, skipped = collect(spec)
        roots.append(str(root))
        files.update(dict.fromkeys(found))
        ignored += skipped
    return Path(os.path.commonpath(roots)), list(files), ignored


def discover(specs: str | list[str], out_dir: str | Path) -> Discovery:
    specs = [specs] if isinstance(specs, str) else list(specs)
    spec = " ".join(specs)
    root, files, ignored = collect_all(specs)
    if not files:
        kinds = f"photos: {' '.join(sorted(IMAGE_SUFFIXES))}; videos: {' '.join(sorted(VIDEO_SUFFIXES))}"
        raise DiscoveryError(f"{spec}: no photos or videos found ({kinds})")
    out_dir = Path(out_dir).expanduser().resolve()
    rels = [(f, f.relative_to(root).as_posix(), media_kind(f)) for f in files]
    taken = Counter(str(Path(r).with_suffix(".mp4")) if k == "video" else r for _, r, k in rels)
    items = []
    for f, rel, kind in rels:
        dst = out_dir / _output_rel(rel, kind, taken)
        items.append(BatchItem(str(f), rel, kind, str(dst), f.stat().st_size))
    return Discovery(root, items, ignored, specs)
