"""Multi-object tracking shared by the engine (between detections) and the tracking showcase."""

from anon_core.tracking.tracker import Tracker, TrackerConfig

__all__ = ["Tracker", "TrackerConfig"]
