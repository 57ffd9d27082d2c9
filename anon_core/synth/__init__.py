"""Synthetic footage with exact ground truth, composed from the openpeople synthetic people.

    from anon_core.synth import ensure_sample, load_faces
    sample = ensure_sample("walkway", seed=0, seconds=6)   # cached; .video .gt .faces .meta
"""

from anon_core.synth.cache import cache_dir
from anon_core.synth.emotions import EMOTIONS
from anon_core.synth.people import PersonInfo, load_people
from anon_core.synth.samples import ensure_sample
from anon_core.synth.writer import FaceTruth, SampleScene, load_faces, sample_paths

__all__ = ["EMOTIONS", "FaceTruth", "PersonInfo", "SampleScene", "cache_dir", "ensure_sample", "load_faces",
           "load_people", "sample_paths"]
