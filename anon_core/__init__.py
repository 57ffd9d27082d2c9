"""anonymize-first: the engine.  detectors -> tracker -> anonymizer -> (frame, report).

    from anon_core import Pipeline, PipelineConfig
    pipe = Pipeline(PipelineConfig(targets=("face",), detect_every="auto"))
    result = pipe.process(frame_bgr)      # result.frame is anonymized (or fully obscured on failure)
"""

from anon_core.detections import Detections
from anon_core.pipeline import FrameResult, Pipeline, PipelineConfig

__version__ = "0.1.0"
__all__ = ["Detections", "FrameResult", "Pipeline", "PipelineConfig", "__version__"]
