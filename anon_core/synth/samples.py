"""Scene building by kind and the cached sample scenes made from them (one module above scenes/closeups,
so that neither needs to import the other)."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import anon_core.synth.closeups as closeups
import anon_core.synth.deboarding as deboarding
from anon_core.synth.cache import cache_dir
from anon_core.synth.scenes import Scene, SceneConfig, crowd, industrial, walkway
from anon_core.synth.writer import SYNTH_VERSION, replace_dir, sample_paths, write_scene

BUILDERS = {"walkway": walkway, "industrial": industrial, "faces": closeups.faces, "webcam": closeups.webcam,
            "crowd": crowd, "deboarding": deboarding.deboarding}


def build_scene(cfg: SceneConfig) -> Scene:
    """The scene of `cfg.kind`."""
    cfg = cfg.resolved()
    return BUILDERS[cfg.kind](cfg)


def ensure_sample(kind: str, seed: int = 0, frames: bool = False, **params):
    """A generated sample scene of `kind` (walkway | industrial | faces | webcam), made once and reused.

    params are SceneConfig fields: seconds, fps, people, size=(w, h), line, objects.  Returns a
    writer.SampleScene (root, video, gt, faces, meta, frames_dir).  The directory name hashes the
    parameters and the generator version, so changed parameters give a new sample."""
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
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sample_paths(root)
