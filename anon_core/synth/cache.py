"""Where generated sprites and sample scenes live: $ANON_CACHE_DIR, else the user cache dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    """The cache root (created on demand); override with the environment variable ANON_CACHE_DIR."""
    env = os.environ.get("ANON_CACHE_DIR")
    path = Path(env) if env else Path(platformdirs.user_cache_dir("anonymize-first"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def ensure_sample(kind: str, seed: int = 0, frames: bool = False, **params):
    """A generated sample scene of `kind` (walkway | industrial | faces | webcam), made once and reused.

    params are SceneConfig fields: seconds, fps, people, size=(w, h), line, objects.  Returns a
    writer.SampleScene (root, video, gt, faces, meta, frames_dir).  The directory name hashes the
    parameters and the generator version, so changed parameters give a new sample."""
    import hashlib
    import json
    import tempfile

    from anon_core.synth.scenes import SceneConfig, build_scene
    from anon_core.synth.writer import SYNTH_VERSION, replace_dir, sample_paths, write_scene

    cfg = SceneConfig(kind=kind, seed=seed, **params).resolved()
    key = json.dumps({"v": SYNTH_VERSION, "cfg": repr(cfg), "frames": frames}, sort_keys=True)
    root = cache_dir() / "samples" / f"{kind}-{hashlib.sha1(key.encode()).hexdigest()[:12]}"
    done = root / "meta.json"
    if done.exists() and (not frames or (root / "img1").is_dir()):
        return sample_paths(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}."))
    try:
        write_scene(build_scene(cfg), tmp, frames=frames)
        replace_dir(tmp, root)
    except BaseException:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sample_paths(root)
