"""Synthetic footage with exact ground truth, composed from the openpeople synthetic people.

    from anon_core.synth import ensure_sample, load_faces
    sample = ensure_sample("walkway", seed=0, seconds=6)   # cached; .video .gt .faces .meta
"""

from anon_core.synth.cache import cache_dir, ensure_sample

__all__ = ["cache_dir", "ensure_sample"]
