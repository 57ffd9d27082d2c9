"""The one pipeline used by the CLI, the app and the webcam callback:
detectors -> tracker -> temporal hold -> policy (anonymizers) -> (frame, report entry).

State lives on the instance only; one Pipeline per video stream / browser session.
Fail closed: any exception while processing a frame returns a fully obscured frame.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from anon_core.analytics import FrameAnalyzer, as_analyzer
from anon_core.anonymize import ANONYMIZERS, Policy, RegionAnonymizer, obscure_frame
from anon_core.anonymize.policy import region_defaults
from anon_core.controls import RegionControl, build_controls
from anon_core.detections import Detections, nms
from anon_core.detectors import Detector, create_detector, detector_info
from anon_core.devices import check_device, check_torch_device, device_support
from anon_core.schedule import DetectionSchedule
from anon_core.tracking.tracker import Tracker, TrackerConfig
from anon_core.zones import parse_zone

log = logging.getLogger(__name__)
# Extra padding per frame a region is carried without a detection: small once the track's velocity
# is known (2+ detections), large for a track seen once, whose motion is still unknown.
PREDICTION_GROWTH = 0.06
UNKNOWN_MOTION_GROWTH = 0.25
MAX_GROWTH = 1.0
ROI_CONTEXT = 1.0  # crops around tracked regions are twice their size
ROI_SIDE = 256  # and scaled down to at most this many pixels (the face then spans ~128 px)
CUT_PX = 2  # a box this close to a crop's inner edge is a face the crop cut


@dataclass
class PipelineConfig:
    targets: tuple[str, ...] = ("face",)
    face_detector: str = "centerface"
    person_detector: str = "yolox-nano-hd"  # detectors.catalog.DEFAULT_PERSON_DETECTOR
    threshold: float | None = None
    detect_every: int | str = 1
    hold_frames: int = 8
    method: str = "blur"
    shape: str | None = None  # None: each target's default (faces ellipse, persons box; policy.REGION_DEFAULTS)
    padding: float | None = None  # None: each target's default (faces 0.3, persons 0.2)
    policy: Policy | None = None
    strength: float = 1.0  # region methods; each refuses a value below its floor (anonymize/regions.py)
    detect_width: int | None = 1280  # scalable detectors (CenterFace) run at this width; None = native
    auto_download: bool = False  # fetch a missing downloadable model (progress bar, checksum) when built
    zones: tuple[str, ...] = ()  # "always=x1,y1,..." / "never=..." polygons (anon_core/zones.py)
    keep_faces: str | None = None  # consent list folder: enrolled faces stay visible (anon_core/consent)
    device: str = "cpu"  # cpu (onnxruntime) | cuda | cuda:N | cpu-torch: the torch ports (anon_core/devices.py)

    def __post_init__(self):
        self.targets = tuple(dict.fromkeys(self.targets))
        self.zones = tuple(self.zones)
        for spec in self.zones:
            parse_zone(spec)  # a bad polygon is refused here, with a message that says how to write one
        unknown = set(self.targets) - {"face", "person"}
        if unknown or not self.targets:
            raise ValueError(f"targets must be a non-empty subset of face, person; got {self.targets}")
        if self.detect_every != "auto":
            self.detect_every = int(self.detect_every)
            if self.detect_every < 1:
                raise ValueError("detect_every must be >= 1 or 'auto'")
        if self.hold_frames < 0:
            raise ValueError("hold_frames must be >= 0")
        if self.threshold is not None and not 0.0 <= self.threshold <= 1.0:
            # every detector scores in [0, 1]: above 1 nothing is ever found and every face stays raw
            raise ValueError(f"threshold must be between 0 and 1 (detector scores), got {self.threshold:g}")
        if self.detect_width is not None and self.detect_width < 32:
            raise ValueError("detect_width must be at least 32 pixels (or None for native resolution)")
        check_device(self.device)
        problem = device_support(self)
        if problem:
            raise ValueError(problem)

    def build_policy(self) -> Policy:
        if self.policy is not None:
            return self.policy
        entry = ANONYMIZERS.entry(self.method)
        region = isinstance(entry.factory, type) and issubclass(entry.factory, RegionAnonymizer)
        options = {"shape": self.shape, "padding": self.padding, "strength": self.strength} if region else {}
        return Policy.uniform(self.targets, self.method, **options)  # None shape/padding: per-target defaults

    def region(self, target: str) -> dict:
        """{"shape", "padding"} this config draws `target` with (a policy file's rule wins)."""
        rule = self.build_policy().to_dict().get(target, {})
        return region_defaults(target, rule.get("shape", self.shape), rule.get("padding", self.padding))

    def to_dict(self) -> dict:
        d = asdict(self) | {"targets": list(self.targets)}
        d["policy"] = self.build_policy().to_dict()
        return d


@dataclass
class FrameResult:
    index: int
    frame: np.ndarray | None  # the anonymized frame; None where it stays on a device (Pipeline.follow)
    regions: Detections
    detections: Detections | None
    detected: bool
    error: str | None = None
    analytics: dict = field(default_factory=dict)
    seconds: float = 0.0
    kept: list = field(default_factory=list)  # regions left visible on purpose (consent, never-zone, review)

    def record(self) -> dict:
        """JSON-friendly per-frame entry of the audit report."""
        entry = {"frame": int(self.index), "detected": bool(self.detected), "regions": self.regions.to_records()}
        if self.kept:
            entry["kept"] = self.kept
        if self.error:
            entry["error"] = self.error
        return entry


def detector_names(config: PipelineConfig) -> dict[str, str]:
    """Detector name per target of the config; refuses a detector that does not find its target."""
    names = {"face": config.face_detector, "person": config.person_detector}
    for target in config.targets:
        if target not in detector_info(names[target]).targets:
            raise ValueError(f"detector {names[target]!r} does not find {target}s; pick one that does "
                             "(see `anon models list`)")
    return {t: names[t] for t in config.targets}


def detector_options(config: PipelineConfig, name: str) -> dict:
    """The one place a config becomes detector options (threshold, detect_width, auto_download):
    used by build_detectors, the app's shared detector cache (ui/models) and the counting showcase."""
    options = {} if config.threshold is None else {"threshold": config.threshold}
    if detector_info(name).scalable:
        options["input_width"] = config.detect_width
    if config.auto_download and detector_info(name).source in ("download", "torchvision"):
        options["auto_download"] = True
    if config.device != "cpu":
        options["device"] = config.device
    return options


def build_detectors(config: PipelineConfig) -> dict[str, Detector]:
    """The detectors a config needs, keyed by target ("face", "person")."""
    return {t: create_detector(name, **detector_options(config, name)) for t, name in detector_names(config).items()}


class Pipeline:
    def __init__(self, config: PipelineConfig | None = None, detectors: dict[str, Detector] | None = None,
                 analyzers: dict[str, FrameAnalyzer | Callable] | None = None,
                 controls: list[RegionControl] | None = None):
        self.config = config or PipelineConfig()
        check_torch_device(self.config.device)
        self.detectors = detectors if detectors is not None else build_detectors(self.config)
        missing = set(self.config.targets) - set(self.detectors)
        if missing:
            raise ValueError(f"no detector given for targets {sorted(missing)}")
        self.policy = self.config.build_policy()
        self.analyzers = {name: as_analyzer(a) for name, a in (analyzers or {}).items()}
        # zones, consent list, reviewer's changes: what to leave visible or to add (anon_core/controls.py)
        self.controls = build_controls(self.config, self.policy) + list(controls or [])
        every = self.config.detect_every
        roi = all(_scalable(d) for d in self.detectors.values())
        costly = any(getattr(d, "costly", False) for d in self.detectors.values())
        self.schedule = DetectionSchedule(every, roi=roi, confirm_new=not costly)
        max_gap = self.schedule.max_every if every == "auto" else every
        # Detections below the tracker's high_score (0.5) only extend existing tracks (ByteTrack): carrying
        # every low-score candidate as a track cost 16-18 MOTA points on TUD-Campus (held false regions
        # blur the people YOLOX tracks); such a detection (id -1) is carried by the schedule instead
        # (schedule.py: "auto" detects again on the next frame first, a fixed N carries it to its next run).
        self.tracker = Tracker(TrackerConfig(max_age=max(30, self.config.hold_frames + max_gap + 1), min_hits=2))
        self.reset()

    def reset(self) -> None:
        self.tracker.reset()
        self.schedule.reset()
        self.index = 0
        self._regions: Detections | None = None
        self.failures = 0
        for control in getattr(self, "controls", ()):
            control.reset()
        for analyzer in getattr(self, "analyzers", {}).values():
            analyzer.reset()

    @contextmanager
    def analyzing(self, analyzers: dict[str, FrameAnalyzer | Callable]) -> Iterator[None]:
        """Run extra analyzers for one job (anon_core.jobs), then remove them again: a pipeline built once
        can serve jobs with different analytics without anyone editing its analyzers."""
        added = {name: as_analyzer(a) for name, a in analyzers.items()}
        clash = set(added) & set(self.analyzers)
        if clash:
            raise ValueError(f"analyzer names already in use: {sorted(clash)}")
        self.analyzers.update(added)
        try:
            yield
        finally:
            for name in added:
                self.analyzers.pop(name, None)

    def analytics_summary(self) -> dict:
        """Each analyzer's summary() (for the audit report); analyzers with nothing to say are left out."""
        out = {name: a.summary() for name, a in self.analyzers.items()}
        return {name: s for name, s in out.items() if s}

    # ------------------------------------------------------------------ per frame
    def process(self, frame: np.ndarray, still: bool = False) -> FrameResult:
        """The next frame of a stream (tracker, schedule and hold carry regions between calls), or with
        still=True a photo on its own: detected afresh and the state cleared before and after, so two
        unrelated photos in a row never share a region (a held box from photo 1 would land on photo 2)."""
        if still:
            self.reset()
            try:
                return self.process(frame)
            finally:
                self.reset()
        start = time.perf_counter()
        index = self.index
        self.index += 1
        detected, dets = False, None
        try:
            mode = self.schedule.decide(index, frame, self._regions)
            if mode == "roi" and not self._roi_possible():
                mode = "full"
            detected = mode is not None
            if mode == "roi":
                dets = self._detect_roi(frame, self._regions)
                if dets is None:  # a face cut by a crop's edge: someone is beside a tracked face
                    mode = "full"
            if mode == "full":
                dets = self._detect(frame)
            regions, kept, analytics = self._regions_stage(frame, index, dets, mode)
            out = self.policy.apply(frame, regions)
            for control in self.controls:
                out = control.cover(out, index)
            if out.shape != frame.shape or out.dtype != np.uint8:
                raise RuntimeError(f"anonymizer returned {out.dtype} {out.shape} for a {frame.shape} frame")
            return FrameResult(index, out, regions, dets, detected, None, analytics, time.perf_counter() - start,
                               kept)
        except Exception as exc:  # fail closed: this frame leaves fully obscured
            error = self.withheld(index, exc)
            return FrameResult(index, obscure_frame(_safe_shape(frame)), Detections.empty(), None, detected,
                               error, {}, time.perf_counter() - start)

    def follow(self, frame: np.ndarray, dets: Detections) -> FrameResult:
        """The region stage of `process` for a frame whose detections were made elsewhere: the batched
        device job (anon_core/gpu/video_job.py) detects every frame of a batch at once, then each frame
        goes through this same tracker, hold, region growth, controls and analyzers.  `frame` is the
        BGR frame where `needs_pixels`, else any array of the frame's shape (controls such as zones read
        only the shape).  The result's `frame` is None: the caller obscures `regions` on its device and
        covers what the controls cover; an exception leaves the caller to withhold the frame."""
        start = time.perf_counter()
        index = self.index
        self.index += 1
        regions, kept, analytics = self._regions_stage(frame, index, dets, "full")
        return FrameResult(index, None, regions, dets, True, None, analytics, time.perf_counter() - start, kept)

    @property
    def needs_pixels(self) -> bool:
        """Whether a control or analyzer reads the frame's pixels (the consent list embeds faces), so a
        device job must bring the frame to the host; zones and review edits read only its shape."""
        return bool(self.analyzers) or any(getattr(c, "needs_pixels", True) for c in self.controls)

    def withheld(self, index: int, exc: Exception) -> str:
        """Record a frame that failed (it leaves fully obscured) and force a detection on the next one."""
        self.failures += 1
        log.warning("frame %d withheld (fully obscured): %s", index, exc, exc_info=log.isEnabledFor(logging.DEBUG))
        self._regions = None
        self.schedule.reset()
        return f"{type(exc).__name__}: {exc}"

    def _regions_stage(self, frame: np.ndarray, index: int, dets: Detections | None,
                       mode: str | None) -> tuple[Detections, list[dict], dict]:
        """Detections (None: the schedule skipped this frame) -> tracker -> hold and growth -> controls
        -> analyzers: (regions to anonymize, notes on regions kept visible, analytics).  One code for
        every device."""
        if dets is not None:
            tracked = self.tracker.update(dets[np.isin(dets.labels, self.config.targets)])
            self.schedule.detected(index, tracked, mode)
        else:
            tracked = self.tracker.update(None)
        regions = self._select(tracked, dets is not None)
        if dets is None and len(self.schedule.carried):  # static low-score candidates (schedule.py)
            regions = Detections.concat([regions, self.schedule.carried])
        self._regions = regions
        kept: list[dict] = []
        for control in self.controls:
            regions, notes = control.select(frame, index, regions)
            kept += notes
        analytics = {name: fn(frame, dets if dets is not None else regions) for name, fn in self.analyzers.items()}
        return regions, kept, analytics

    def _detect(self, frame: np.ndarray) -> Detections:
        return Detections.concat([det(frame) for det in self.detectors.values()])

    def _roi_possible(self) -> bool:
        """Re-detection in crops pays off only for detectors that run at any input size (faces)."""
        regions = self._regions
        if regions is None or not len(regions):
            return False
        return all(label in self.detectors and _scalable(self.detectors[label]) for label in set(regions.labels))

    def _detect_roi(self, frame: np.ndarray, regions: Detections) -> Detections | None:
        """Detect only in crops around the tracked regions (twice their size, scaled to at most
        ROI_SIDE px): a fraction of a full-frame run, used when tracked faces moved off their
        predictions but nothing new entered the frame.  None when a face found ends at a crop's
        inner edge: it is cut, so someone stands beside a tracked face (a newcomer whose motion fell
        in that face's zone); the caller then detects on the whole frame.  Synthetic deboarding
        clip: a 29 px newcomer covered at 48 % by its cut box, now found whole on that frame."""
        h, w = frame.shape[:2]
        crops: dict[str, list] = {}  # per label: (crop, scale, x1, y1)
        rects = []
        for i, (x1, y1, x2, y2) in enumerate(regions.padded(ROI_CONTEXT).xyxy):
            x1, y1 = max(0, int(x1)), max(0, int(y1))
            x2, y2 = min(w, int(np.ceil(x2))), min(h, int(np.ceil(y2)))
            if x2 - x1 < 8 or y2 - y1 < 8:
                continue
            rects.append((x1, y1, x2, y2))
            crop = frame[y1:y2, x1:x2]
            scale = min(1.0, ROI_SIDE / max(crop.shape[:2]))
            if scale < 1:
                crop = _shrink(crop, scale)
            crops.setdefault(str(regions.labels[i]), []).append((np.ascontiguousarray(crop), scale, x1, y1))
        found = []
        for label, items in crops.items():
            detector = self.detectors[label]
            redetect = getattr(detector, "redetect", None)  # CenterFace: its cheapest way (crops or frame)
            found += [redetect(frame, items)] if redetect else [
                detector(crop).scaled(1 / scale).shifted(x1, y1) for crop, scale, x1, y1 in items]
        merged = Detections.concat(found)
        if _cut_by_a_crop(merged.xyxy, rects, (w, h)):
            return None
        return merged[nms(merged.xyxy, merged.scores, 0.5)] if len(merged) else merged

    def _select(self, tracked: Detections, detected: bool) -> Detections:
        """Regions to anonymize: everything detected now, plus tracker predictions of recent tracks."""
        if not len(tracked):
            return tracked
        age = tracked.data["age"]
        origin = tracked.origin.copy()
        carried = origin == "predicted"
        if detected:
            origin[carried] = "held"  # the detector ran and missed it: temporal hold
        # A track seen by the latest detection run stays until the next run says otherwise;
        # one the detector missed is held for hold_frames.
        since_run = self.index - 1 - self.schedule.last_detect
        seen_last_run = age <= since_run
        keep = ~carried | seen_last_run | (age <= self.config.hold_frames)
        rate = np.where(tracked.data["hits"] >= 2, PREDICTION_GROWTH, UNKNOWN_MOTION_GROWTH)
        # a head can stop or turn back at any time: predicted +v, moved -v is 2v off per frame, so each
        # side grows by twice the track's speed per frame carried (webcam, every 10: 0.983 -> see README)
        size = np.maximum(tracked.wh.max(axis=1), 1.0)
        growth = np.minimum(age * np.maximum(rate, 4 * tracked.data["speed"] / size), MAX_GROWTH)
        regions = tracked.with_(origin=origin)
        if carried.any():
            # a carried region covers where the face was last seen and where it is predicted to be
            # (a head that turns back is between the two), grown with the time since it was seen
            xyxy = regions.xyxy.copy()
            half = regions.wh * growth[:, None] / 2
            seen = tracked.data.get("seen_box", xyxy)
            xyxy[:, :2] = np.minimum(xyxy[:, :2], seen[:, :2]) - half
            xyxy[:, 2:] = np.maximum(xyxy[:, 2:], seen[:, 2:]) + half
            xyxy = np.where(carried[:, None], xyxy, regions.xyxy)
            regions = regions.with_(xyxy=xyxy)
            if (carried & keep & (growth >= MAX_GROWTH)).any():
                self.schedule.request(self.index - 1)  # too uncertain to carry further: detect now
        return regions[keep]

    # ------------------------------------------------------------------ reporting
    def describe(self) -> dict:
        return {
            "config": self.config.to_dict(),
            "detectors": {t: d.describe() for t, d in self.detectors.items()},
            "tracker": asdict(self.tracker.config),
        } | ({"controls": {c.name: c.describe() for c in self.controls}} if self.controls else {})


def _shrink(img: np.ndarray, scale: float) -> np.ndarray:
    """Anti-aliased downscale: Gaussian pyramid halvings, then a linear step (INTER_AREA quality,
    several times faster on the crops used for re-detection)."""
    while scale <= 0.5:
        img = cv2.pyrDown(img)
        scale *= 2
    return img if scale >= 0.999 else cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)


def _cut_by_a_crop(boxes: np.ndarray, rects: list[tuple[int, int, int, int]], size: tuple[int, int]) -> bool:
    """Whether a box lies in a crop and ends within CUT_PX of one of the crop's edges that is not
    the frame's edge (the face goes on beyond the crop)."""
    w, h = size
    for x1, y1, x2, y2 in rects:
        inside = np.all((boxes[:, :2] >= (x1 - CUT_PX, y1 - CUT_PX)) & (boxes[:, 2:] <= (x2 + CUT_PX, y2 + CUT_PX)),
                        axis=1)
        b = boxes[inside]
        cut = ((np.abs(b[:, 0] - x1) <= CUT_PX) & (x1 > 0)) | ((np.abs(b[:, 2] - x2) <= CUT_PX) & (x2 < w)) | \
              ((np.abs(b[:, 1] - y1) <= CUT_PX) & (y1 > 0)) | ((np.abs(b[:, 3] - y2) <= CUT_PX) & (y2 < h))
        if cut.any():
            return True
    return False


def _scalable(detector) -> bool:
    """Runs at any input size (any callable `frame -> Detections` may serve as a detector)."""
    return bool(getattr(getattr(detector, "info", None), "scalable", False))


def _safe_shape(frame) -> np.ndarray:
    """A frame-shaped array to obscure, even when the input itself was malformed."""
    if isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] == 3 and frame.size:
        return np.zeros(frame.shape, np.uint8)
    return np.zeros((360, 640, 3), np.uint8)
