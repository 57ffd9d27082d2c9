"""anonymize-first: the engine.  detectors -> tracker -> anonymizer -> (frame, report).

    from anon_core import Pipeline, PipelineConfig
    pipe = Pipeline(PipelineConfig(targets=("face",), detect_every="auto"))
    result = pipe.process(frame_bgr)      # result.frame is anonymized (or fully obscured on failure)
    photo = anonymize_image(photo_bgr)    # a photo on its own: no state carried between calls

The names are imported on first use (PEP 562), so `import anon_core.cli.main` stays light: the `anon`
command imports numpy, torch and the models inside `main()`, where Ctrl-C during start-up becomes
one line instead of a traceback from the import machinery.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"
_EXPORTS = {"anonymize_image": "anon_core.api", "Detections": "anon_core.detections",
            "FrameResult": "anon_core.pipeline", "Pipeline": "anon_core.pipeline",
            "PipelineConfig": "anon_core.pipeline"}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'anon_core' has no attribute {name!r}")
