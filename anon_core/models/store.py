"""The model store: where downloadable weights live, and how they get there.

* `model_dir()`: env `ANON_MODEL_DIR`, else `platformdirs.user_cache_dir("anonymize-first")/models`.
* `locate(name)`: the file of a known model in the model dir, or None.  A file the user copied there
  with the right file name is used as is (no checksum is enforced on it; reports record its sha256).
* `fetch(name)`: explicit HTTP download (urllib) with a tqdm progress bar into `<file>.part`, sha256
  verified *before* the file is moved into place; a mismatch deletes the partial file and raises.
* `require(name)`: the path, or `ModelUnavailableError` that says how to get the file.  Detection code
  calls `require`, never `fetch`: nothing is downloaded silently.  The CLI (`anon models pull`) and the
  app call `fetch` explicitly.

The base URL of a model can be overridden with env `ANON_MODEL_URL_<NAME>` (name upper-cased, '-' -> '_',
e.g. `ANON_MODEL_URL_YOLOX_NANO=http://127.0.0.1:8000/yolox_nano.onnx`) or the `url` argument.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from anon_core.detectors.base import ModelUnavailableError

log = logging.getLogger(__name__)

_YOLOX_RELEASE = "https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0"


class ChecksumError(RuntimeError):
    """A downloaded file does not have the expected sha256 (it was deleted)."""


@dataclass(frozen=True)
class ModelFile:
    name: str
    filename: str
    url: str
    # sha256 of the official release asset.  None = not known to this project yet: these files could not
    # be downloaded where the table was written, so the download is not verified against a fixed value;
    # fetch() still computes and returns the checksum of what it got, and reports record it.
    sha256: str | None
    licence: str
    description: str


MODELS: dict[str, ModelFile] = {
    f"yolox-{v}": ModelFile(
        f"yolox-{v}", f"yolox_{v}.onnx", f"{_YOLOX_RELEASE}/yolox_{v}.onnx", None,
        "Apache-2.0 (Megvii YOLOX)", f"YOLOX-{v} COCO ONNX export (official release 0.1.1rc0)")
    for v in ("nano", "tiny", "s", "m")
}


def model_dir() -> Path:
    """The directory holding downloaded/user-placed weights (not created here)."""
    env = os.environ.get("ANON_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("anonymize-first")) / "models"


def model_file(name: str) -> ModelFile:
    try:
        return MODELS[name]
    except KeyError:
        raise ModelUnavailableError(
            f"unknown downloadable model {name!r}; known: {', '.join(MODELS)}") from None


def locate(name: str) -> Path | None:
    """The model's file in the model dir (a symlink to it counts), or None."""
    path = model_dir() / model_file(name).filename
    return path if path.is_file() else None


def require(name: str) -> Path:
    """The model's path; raises ModelUnavailableError with the fix when it is not in the model dir."""
    path = locate(name)
    if path is None:
        entry = model_file(name)
        raise ModelUnavailableError(
            f"{name} is not in {model_dir()}; run `anon models pull {name}` (needs internet) "
            f"or copy {entry.filename} there")
    return path


def source_url(name: str, url: str | None = None) -> str:
    env = os.environ.get("ANON_MODEL_URL_" + name.upper().replace("-", "_"))
    return url or env or model_file(name).url


def fetch(name: str, url: str | None = None, sha256: str | None = None, progress: bool = True) -> Path:
    """Download a model into the model dir (atomic: .part file, checksum, then rename) and return its path.

    `sha256` overrides the table's value; with neither, the download is accepted unverified.  Either way
    the checksum of what was downloaded is written next to it (`<file>.source.json`: url, sha256, size,
    verified) and read back by `provenance(name)` for audit reports.  Raises ChecksumError (partial file
    deleted) on a mismatch and ModelUnavailableError when the download fails.
    """
    entry = model_file(name)
    url = source_url(name, url)
    expected = (sha256 or entry.sha256 or "").lower() or None
    target_dir = model_dir()
    if target_dir.exists() and not target_dir.is_dir():  # mkdir's own answer was "...: exists"
        raise ModelUnavailableError(f"the model dir {target_dir} (ANON_MODEL_DIR) is a file, not a folder; "
                                    "point ANON_MODEL_DIR at a folder")
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / entry.filename
    part = target.with_name(target.name + ".part")
    try:
        digest, size = _download(url, part, progress, desc=entry.filename)
        if expected and digest != expected:
            raise ChecksumError(
                f"{url} has sha256 {digest}, expected {expected}; the download was deleted. The file may be "
                f"corrupt or changed upstream: retry, or download it yourself and copy {entry.filename} "
                f"into {target_dir}")
        os.replace(part, target)
        _provenance_path(target).write_text(json.dumps(
            {"url": url, "sha256": digest, "size": size, "verified": bool(expected)}, indent=1), encoding="utf-8")
    except ChecksumError:
        raise
    except OSError as exc:
        raise ModelUnavailableError(
            f"could not download {name} from {url}: {exc}. Check the internet connection and retry "
            f"(`anon models pull {name}`), or download the file yourself and copy {entry.filename} "
            f"into {target_dir}") from exc
    finally:
        part.unlink(missing_ok=True)
    if not expected:
        log.warning("%s: no known sha256 to verify against; downloaded file has sha256 %s", name, digest)
    return target


def _provenance_path(path: Path) -> Path:
    return path.with_name(path.name + ".source.json")


def provenance(name: str) -> dict:
    """Where the model file came from: {"url", "sha256", "size", "verified"} after `fetch`, or
    {"url": None, "verified": False} for a file the user placed in the model dir."""
    path = locate(name)
    if path is None:
        return {}
    try:
        return json.loads(_provenance_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"url": None, "verified": False}


def _download(url: str, dest: Path, progress: bool, desc: str) -> tuple[str, int]:
    from tqdm import tqdm

    h = hashlib.sha256()
    size = 0
    req = urllib.request.Request(url, headers={"User-Agent": "anonymize-first"})
    with urllib.request.urlopen(req, timeout=60) as resp, open(dest, "wb") as out:
        total = int(resp.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=desc, disable=not progress) as bar:
            while block := resp.read(1 << 16):
                out.write(block)
                h.update(block)
                size += len(block)
                bar.update(len(block))
    return h.hexdigest(), size
