"""Registry of detectors.  `create_detector("centerface")`, `DETECTORS.names()`, `availability(name)`.

Every entry declares what it finds, where its weights come from and its licence; modules are
imported only when a detector is built, so listing is cheap.
"""

from __future__ import annotations

from anon_core.detectors.base import Detector, DetectorInfo, ModelUnavailableError
from anon_core.detectors.catalog import DETECTORS, availability, create_detector, detector_info

__all__ = ["DETECTORS", "Detector", "DetectorInfo", "ModelUnavailableError", "availability",
           "create_detector", "detector_info"]
