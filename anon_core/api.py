"""The library's two entry points besides the job loop (anon_core.jobs, for files):

- photos: `anonymize_image(frame, config)` -- stateless, one call per photo;
- streams: `Pipeline(config)` then `pipeline.process(frame)` for each frame in order (the tracker,
  the detection schedule and the temporal hold carry regions between frames); `pipeline.reset()`
  before an unrelated stream.  One Pipeline per stream: it holds that stream's state.
"""

from __future__ import annotations

import numpy as np

from anon_core import plugins
from anon_core.detectors.base import check_frame
from anon_core.pipeline import Pipeline, PipelineConfig


def anonymize_image(frame: np.ndarray, config: PipelineConfig | None = None,
                    pipeline: Pipeline | None = None) -> np.ndarray:
    """The anonymized copy of one BGR uint8 photo (fully obscured if detection or anonymization fails).

    Builds a Pipeline from `config` (loading its models) unless `pipeline` is given: pass one to
    anonymize many photos without reloading; no state is carried from one photo to the next."""
    # A photo that is not a photo is the caller's error, not a frame to withhold: None (what cv2.imread
    # returns for a missing file) or a grayscale array used to come back as a grey 640x360 image.
    if frame is None:
        raise ValueError("anonymize_image got None, not an image (cv2.imread returns None for a file it cannot read)")
    check_frame(frame)
    plugins.load()  # a config may name a plug-in method such as synthetic-face
    pipe = pipeline if pipeline is not None else Pipeline(config)
    return pipe.process(frame, still=True).frame
