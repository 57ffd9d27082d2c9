"""User controls over what the pipeline anonymizes: zones, the consent list, the reviewer's changes.

A control sees every frame's regions after detection and tracking:

    select(frame, index, regions) -> (regions to anonymize, notes on regions left visible on purpose)
    cover(anonymized frame, index) -> frame     (e.g. obscure an always-zone)

`Pipeline.process` calls `select` of each control in order (consent list, zones, review), then the
policy, then `cover` of each control, so an always-zone is obscured whatever `select` decided.
The notes go into the report's per-frame entry (`kept`) and its `kept_tracks` summary.
Two optional class attributes tell a device job (anon_core/gpu/video_job.py) what a control needs:
`needs_pixels` (False: select() reads only the frame's shape, so the frame can stay on the device)
and `covers` (False: cover() leaves the frame as it is); a control without them is assumed to need both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from anon_core.anonymize.regions import RegionAnonymizer
from anon_core.consent import ConsentControl, enrol_folder_cached
from anon_core.detections import Detections
from anon_core.zones import ZoneControl, parse_zone


class RegionControl(Protocol):
    name: str

    def select(self, frame: np.ndarray, index: int, regions: Detections) -> tuple[Detections, list[dict]]: ...

    def cover(self, frame: np.ndarray, index: int) -> np.ndarray: ...

    def reset(self) -> None: ...

    def describe(self) -> dict: ...


def build_controls(config, policy) -> list[RegionControl]:
    """The controls a PipelineConfig asks for (its own settings, then the policy file's)."""
    controls: list[RegionControl] = []
    keep = config.keep_faces or getattr(policy, "keep_faces", None)
    if keep:
        controls.append(ConsentControl(enrol_folder_cached(Path(keep))))
    zones = [parse_zone(z) if isinstance(z, str) else z for z in config.zones] + list(getattr(policy, "zones", []))
    if zones:
        controls.append(ZoneControl(zones, region_anonymizer(policy)))
    return controls


def region_anonymizer(policy) -> RegionAnonymizer | None:
    """The policy's anonymizer for faces (or its first region anonymizer), to obscure zones alike."""
    found = [a for a in policy.anonymizers.values() if isinstance(a, RegionAnonymizer)]
    face = policy.anonymizers.get("face")
    return face if isinstance(face, RegionAnonymizer) else (found[0] if found else None)
