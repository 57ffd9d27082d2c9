"""Output safety: one rule for every command that writes.

* never write over an input (paths are compared after resolving symlinks and `..`, and by inode);
* never replace or delete anything the command did not create: an existing output file, or an output
  folder that is not empty, is refused unless `overwrite=True`; even then only the files the command
  writes are replaced, nothing else in the folder is touched;
* publish atomically: everything is written to temp files/folders beside the targets and moved into
  place only when the whole job succeeded (`Outputs.commit`); on any error, Ctrl-C or SIGTERM the
  temps are removed (`Outputs.abort`, run by `with Outputs(...)`, see `signals_raise`);
* output-side OS errors (no space, no permission, read-only file system, a file where a folder is
  expected) become one `OutputError` line (exit 2 in the CLI), see `output_error`.

Typical use::

    with signals_raise(), Outputs(inputs=[src], overwrite=args.overwrite) as out:
        video_tmp = out.file(args.output)          # checked now, before any work is done
        report_tmp = out.file(args.report)
        ...write video_tmp and report_tmp...
    # leaving the block without an exception publishes both; otherwise both temps are removed
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from anon_core.atomic import publish, publish_dir
from anon_core.interrupts import Terminated, check_signals, deferred_signals, signals_raise  # noqa: F401 (API)
from anon_core.media.errors import MediaError


class OutputError(MediaError):
    """The output cannot be written where asked (refused, or an OS error); one line for the user."""


_OS_REASONS = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
               errno.EACCES: "permission denied", errno.EPERM: "operation not permitted",
               errno.EROFS: "read-only file system", errno.ENOTDIR: "a path component is not a folder",
               errno.EISDIR: "is a folder", errno.ENAMETOOLONG: "file name too long", errno.EEXIST: "exists",
               errno.EFBIG: "file too large", errno.EIO: "input/output error"}


def output_error(exc: OSError, path: str | Path | None = None) -> OutputError:
    """One readable line for an OS error met while writing `path`."""
    where = path or exc.filename or "output"
    reason = _OS_REASONS.get(exc.errno or -1) or exc.strerror or str(exc)
    return OutputError(f"cannot write {where}: {reason}")


def os_error_line(exc: OSError) -> str:
    """`PATH: reason` for any OS error (input or output side)."""
    reason = _OS_REASONS.get(exc.errno or -1) or exc.strerror or str(exc)
    return f"{exc.filename}: {reason}" if exc.filename else reason


def resolved(path: str | Path) -> Path:
    """Absolute path with symlinks and `..` resolved (the target need not exist)."""
    return Path(os.path.realpath(os.path.abspath(os.fspath(path))))


def same_path(a: str | Path, b: str | Path) -> bool:
    ra, rb = resolved(a), resolved(b)
    if ra == rb:
        return True
    try:  # hard links and case-insensitive mounts: the same inode
        return os.path.samefile(ra, rb)
    except OSError:
        return False


_TEMP_NAME = re.compile(r"^\.(?P<stem>.+)\.[A-Za-z0-9_]{8}\.part(?P<suffix>\.[^.]*)?$")


def public_name(path: str | Path) -> str:
    """The name a user gave for an output written through its temp file (`.out.1oy17kdo.part.mp4` ->
    `out.mp4`), so progress bars and messages never show the temp name; other names unchanged."""
    name = Path(path).name
    m = _TEMP_NAME.match(name)
    return m["stem"] + (m["suffix"] or "") if m else name


def _input_files(inputs: Iterable[str | Path]) -> list[Path]:
    """Every input path and, for a folder, every file below it (frames, gt/gt.txt, seqinfo.ini ...)."""
    out = []
    for p in inputs:
        if p is None:
            continue
        r = resolved(p)
        out.append(r)
        if r.is_dir():
            out.extend(resolved(f) for f in r.rglob("*") if f.is_file())
    return out


def _is_within(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


class Outputs:
    """A set of outputs published together.  See the module doc."""

    def __init__(self, inputs: Iterable[str | Path | None] = (), overwrite: bool = False):
        self.inputs = [resolved(p) for p in inputs if p is not None]
        self._input_files = _input_files(self.inputs)
        self.overwrite = overwrite
        self._files: list[tuple[Path, Path]] = []  # (temp, final)
        self._folders: list[tuple[Path, Path]] = []  # (temp folder, final folder)
        self._targets: list[Path] = []
        self._made_dirs: list[Path] = []  # folders created for outputs: removed again by abort if empty

    # --- planning ---------------------------------------------------------------------------------
    def _check_target(self, path: Path, what: str) -> Path:
        r = resolved(path)
        for t in self._targets:
            if t == r or _is_within(r, t) or _is_within(t, r):
                raise OutputError(f"{path}: the same path is given for two outputs; use different names")
        for inp in self._input_files:
            if r == inp or same_path(r, inp):
                raise OutputError(f"{path}: {what} would overwrite an input; choose another name")
        for inp in self.inputs:
            if inp.is_dir() and (_is_within(r, inp) or _is_within(inp, r)) and what == "output folder":
                raise OutputError(f"{path}: output folder overlaps the input folder {inp}; choose another folder")
        self._targets.append(r)
        return r

    def _writable_parent(self, path: Path) -> None:
        parent = path.parent
        missing = [p for p in [parent, *parent.parents] if not p.exists()]
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self._made_dirs.extend(missing)  # deepest first
        except FileExistsError:
            raise OutputError(f"cannot write {path}: {parent} is a file, not a folder") from None
        except OSError as exc:
            raise output_error(exc, path) from None
        if not parent.is_dir():
            raise OutputError(f"cannot write {path}: {parent} is not a folder")

    def file(self, path: str | Path, what: str = "output") -> Path:
        """Register one output file; returns the temp path to write it to (in the same folder)."""
        if isinstance(path, str) and path.endswith(("/", os.sep)):  # Path() drops the slash: "rd/" became file rd
            raise OutputError(f"{path}: is a folder name; give a file name for the {what}")
        path = Path(path)
        r = self._check_target(path, what)
        if r.is_dir():
            raise OutputError(f"{path}: is a folder; give a file name for the {what}")
        if r.exists() and not self.overwrite:
            raise OutputError(f"{path}: already exists; pass --overwrite to replace it (nothing else is touched)")
        self._writable_parent(r)
        try:
            fd, tmp = tempfile.mkstemp(dir=r.parent, prefix=f".{r.stem}.", suffix=".part" + r.suffix)
            os.close(fd)
        except OSError as exc:
            raise output_error(exc, path) from None
        self._files.append((Path(tmp), r))
        return Path(tmp)

    def folder(self, path: str | Path, what: str = "output folder") -> Path:
        """Register an output folder; returns an empty temp folder beside it to fill.  On commit its
        files are moved into `path` (created if missing); existing files of the same names are replaced
        only with overwrite=True, and nothing else in `path` is touched."""
        path = Path(path)
        r = self._check_target(path, what)
        if r.exists() and not r.is_dir():
            raise OutputError(f"{path}: exists and is not a folder; give a folder for the {what}")
        if r.is_dir() and any(r.iterdir()) and not self.overwrite:
            raise OutputError(f"{path}: folder is not empty; pass --overwrite to replace the files this command "
                              "writes (other files are kept), or choose an empty folder")
        self._writable_parent(r)
        try:  # inside an existing folder (its parent may not be writable, e.g. `-o .`), else beside it
            where = (r, ".anon-") if r.is_dir() else (r.parent, f".{r.name}.")
            tmp = Path(tempfile.mkdtemp(dir=where[0], prefix=where[1], suffix=".part"))
        except OSError as exc:
            raise output_error(exc, path) from None
        self._folders.append((tmp, r))
        return tmp

    @property
    def temps(self) -> list[Path]:
        return [t for t, _ in self._files] + [t for t, _ in self._folders]

    # --- publishing -------------------------------------------------------------------------------
    def commit(self) -> None:
        """Move every temp into place (folders first, then files such as reports)."""
        try:
            for tmp, final in self._folders:
                _merge_folder(tmp, final, self.overwrite)
            for tmp, final in self._files:
                publish(tmp, final)
        except OSError as exc:
            self.abort()
            raise output_error(exc) from None
        self._files, self._folders, self._made_dirs = [], [], []

    def abort(self) -> None:
        """Remove every temp (never a published output)."""
        for tmp, _ in self._files:
            tmp.unlink(missing_ok=True)
        for tmp, _ in self._folders:
            shutil.rmtree(tmp, ignore_errors=True)
        for d in self._made_dirs:
            try:
                d.rmdir()
            except OSError:  # not empty (something else was put there) or already gone: keep it
                pass
        self._files, self._folders, self._made_dirs = [], [], []

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def _merge_folder(tmp: Path, final: Path, overwrite: bool) -> None:
    """Move the files of `tmp` into `final` (same relative names), then remove `tmp`."""
    if not final.exists() and tmp.parent != final:
        publish_dir(tmp, final)  # atomic: the folder appears complete
        return
    for src in sorted(tmp.rglob("*")):
        if src.is_dir():
            continue
        dst = final / src.relative_to(tmp)
        if dst.exists() and not overwrite:  # checked at planning; a file that appeared since is kept
            raise OutputError(f"{dst}: appeared while the job ran; not replaced")
        dst.parent.mkdir(parents=True, exist_ok=True)
        publish(src, dst)
    shutil.rmtree(tmp, ignore_errors=True)


def check_outputs(inputs: Iterable[str | Path | None], files: Iterable[str | Path | None] = (),
                  folders: Iterable[str | Path | None] = (), overwrite: bool = False) -> None:
    """Fail fast, before any expensive work: the checks of `Outputs.file/folder` (temps are made to
    prove the folder is writable, then removed; nothing is left behind)."""
    out = Outputs(inputs, overwrite=overwrite)
    try:
        for f in files:
            if f is not None:
                out.file(f)
        for d in folders:
            if d is not None:
                out.folder(d)
    finally:
        out.abort()


def write_text_atomic(path: str | Path, text: str, inputs: Iterable[str | Path] = (), overwrite: bool = True) -> None:
    """One text/JSON/CSV export, atomically and never over an input."""
    with Outputs(inputs, overwrite=overwrite) as out:
        tmp = out.file(path)
        try:
            tmp.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise output_error(exc, path) from None
