"""When to run the detectors: every N frames at least, or "auto".

"auto" detects on every frame while any track is new or unconfirmed (a low-score candidate found
at the same place by two consecutive runs is carried instead, see STATIC_IOU; a fixed N carries
every candidate to its next run), and otherwise lets
the tracker carry regions for up to `max_every` frames.  Where the pipeline can re-detect in crops
around the tracked regions (face detectors run at any input size), tracked regions that move off
their predicted boxes trigger such a cheap "roi" run; otherwise N shrinks with the tracks' speed so
that no region moves more than a quarter of its size between detections.  A cheap motion check (downscaled frame
difference outside the tracked regions) forces a detection as soon as something new moves into
view (a moving blob not attached to a tracked region), so a face entering the frame is found on its
first frames, not N frames later.

The motion check runs for a fixed N as well: N is the longest gap between full detector runs, not
a promise to skip frames.  Between runs a region that its face is leaving is re-detected at once
(measured on an 8 s synthetic webcam clip with fast head motion, `--detect-every 10`: 55 % of the
face boxes at least 90 % covered without the check, 100 % with it).
"""

from __future__ import annotations

import cv2
import numpy as np

from anon_core.detections import Detections, box_iou

MOTION_SIDE = 160  # width of the motion-check thumbnail
MOTION_DELTA = 18  # grey-level change that counts as motion
MOTION_MIN_BLOB = 6  # thumbnail pixels a moving blob needs to count (about a 12 px face at 640 px)
RING_IN, RING_OUT = 0.02, 0.5  # the ring around a tracked region that tells it is leaving its box
RING_SHARE = 0.12
# Costly whole-frame person detectors (confirm_new False): a carried region that became too uncertain
# forces a run only this many frames after the last one.  In a crowd some region always is (tracks
# seen once grow 25 % a frame): on the 90-frame synthetic 1080p crowd requests forced 73 of 78 runs
# (coverage 1.0, collateral 3.4 %); gap 3: 35 runs, coverage 0.9997, collateral 4.5 %; gap 4: 29 runs
# but collateral 5.04 %, over the 5 % goal (carried regions grow while they wait).
COSTLY_REQUEST_GAP = 3
# A low-score face candidate (below the tracker's 0.5, so no track) found again at the same place by
# the next frame's run is carried as it is until the next run, as long as no pixel around it changes,
# instead of running the detector on every frame: static background look-alikes at CenterFace's 0.1
# kept the six-face clip detecting (two views) on 6 frames in a row.
STATIC_IOU = 0.7


class DetectionSchedule:
    def __init__(self, every: int | str = 1, max_every: int = 8, roi: bool = False, confirm_new: bool = True):
        if every != "auto" and (not isinstance(every, int) or every < 1):
            raise ValueError(f"detect_every must be a positive integer or 'auto', got {every!r}")
        self.every = every
        self.max_every = max_every
        self.roi = roi  # the pipeline can re-detect in crops around tracked regions
        # Detect again at once to confirm new tracks.  Off for costly whole-frame person detectors
        # (yolox-*-hd/-tiled): in a crowd some track is always new, which forced a full run on 58 of
        # 60 frames of the synthetic 45-person crowd; new tracks are anonymized anyway and their
        # regions grow by UNKNOWN_MOTION_GROWTH per carried frame (pipeline.py).
        self.confirm_new = confirm_new
        self.reset()

    def reset(self) -> None:
        self.runs = {"full": 0, "roi": 0}  # detector runs by kind since the last reset (anon bench speed)
        self.last_detect = -(10**9)  # last detector run of any kind
        self.last_full = -(10**9)  # last full-frame run
        self.current_every = 1 if self.every == "auto" else self.every
        self._thumb = None
        self._requested = False
        self.carried = Detections.empty()  # low-score candidates the pipeline carries (auto: static ones)
        self._candidates = np.zeros((0, 4), np.float32)

    def decide(self, index: int, frame: np.ndarray, regions: Detections | None) -> str | None:
        """"full" (detect on the whole frame), "roi" (re-detect around the tracked regions only:
        they moved off their predictions, nothing new appeared) or None (let the tracker carry)."""
        thumb = self._thumbnail(frame)
        if index - self.last_full >= self.current_every or self._thumb is None:
            mode = "full"
        elif self._requested:
            mode = "roi" if self.roi and regions is not None and len(regions) else "full"
        else:
            mode = self._motion(thumb, regions, frame.shape)
        if mode is not None:
            self._thumb = thumb  # compare later frames with the last analysed one
            self._requested = False
        return mode

    def request(self, index: int | None = None) -> None:
        """Detect on the next frame (a carried region became too uncertain to carry further); for
        costly detectors only COSTLY_REQUEST_GAP frames after the last full run (`index`: this frame)."""
        if self.confirm_new or index is None or index + 1 - self.last_full >= COSTLY_REQUEST_GAP:
            self._requested = True

    def detected(self, index: int, tracked: Detections, mode: str = "full") -> None:
        """Record a detection run and adapt N from the tracks it produced."""
        det = tracked[tracked.origin == "detected"] if tracked.origin is not None else tracked
        static = self._static_candidates(det, consecutive=index == self.last_detect + 1)
        self.last_detect = index
        self.runs[mode] = self.runs.get(mode, 0) + 1
        if mode == "full":
            self.last_full = index
        if self.every == "auto":
            self.current_every = self._adaptive_every(tracked, det, static)

    def _static_candidates(self, det: Detections, consecutive: bool) -> np.ndarray:
        """Which rows of `det` are low-score candidates no track took (hits 0) that the previous
        frame's run found at the same place (IoU >= STATIC_IOU); those are kept in `carried`."""
        static = np.zeros(len(det), bool)
        if det.track_ids is None or "hits" not in det.data or not self.confirm_new:
            self.carried = Detections.empty()
            return static
        candidate = (det.track_ids < 0) & (np.asarray(det.data["hits"]) == 0)
        if self.every != "auto":
            # a fixed N never runs the detector early to confirm a candidate, so every candidate is
            # carried to the next run (it was anonymized on the run's frame only: 4 of 5 frames raw at
            # N=5); any change around it still re-detects at once (_motion)
            static = candidate
        elif consecutive and candidate.any() and len(self._candidates):
            static[candidate] = box_iou(det.xyxy[candidate], self._candidates).max(1) >= STATIC_IOU
        self._candidates = det.xyxy[candidate]
        self.carried = det[static].with_(origin=np.full(int(static.sum()), "held"))
        return static

    def _adaptive_every(self, tracked: Detections, det: Detections, static: np.ndarray) -> int:
        if self.confirm_new and len(det) and det.track_ids is not None and ((det.track_ids < 0) & ~static).any():
            return 1  # unconfirmed tracks or new low-score candidates: confirm them before predicting
        if self.roi:
            return self.max_every  # moving regions are re-detected in crops ("roi"), not by full runs
        speed = tracked.data.get("speed")
        if speed is None or not len(tracked):
            return min(3, self.max_every)
        size = np.maximum(tracked.wh.max(axis=1), 1.0)
        rel = speed / size  # share of its own size a region moves per frame
        # Costly person detectors: the 90th percentile, not the fastest track: in a crowd one track's
        # velocity is always noisy (a fresh track, a swap with a neighbour) and the maximum pinned N
        # at 1-2 on the synthetic crowd although its walkers move 2-4 % of their height per frame.
        rel = float(rel.max() if self.confirm_new else np.percentile(rel, 90))
        if rel <= 0:
            return self.max_every
        return int(np.clip(np.floor(0.25 / rel), 1, self.max_every))

    def _thumbnail(self, frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        th = max(1, round(h * MOTION_SIDE / w))
        small = frame
        # Halve first: OpenCV's INTER_AREA has a fast path for exact halvings (720p: 0.15 ms, where a
        # strided frame[::2, ::2] copy took 1.3 ms and the whole thumbnail 1.7 ms; now 0.5 ms).
        while small.shape[1] >= MOTION_SIDE * 4:
            small = cv2.resize(small, (small.shape[1] // 2, small.shape[0] // 2), interpolation=cv2.INTER_AREA)
        small = cv2.resize(small, (MOTION_SIDE, th), interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (3, 3), 0)

    def _motion(self, thumb: np.ndarray, regions: Detections | None, shape) -> str | None:
        """Motion the tracker cannot account for: (a) a moving blob not attached to any tracked
        region (a newcomer), or (b) change in the ring above and beside a tracked region (it is
        leaving its predicted box).  The body below a face is ignored: it moves with the face."""
        changed = (cv2.absdiff(thumb, self._thumb) > MOTION_DELTA).astype(np.uint8)
        if not changed.any():
            return None
        f = changed.shape[1] / shape[1]
        # any change in the zone a carried candidate would claim as its own (so it can hide no newcomer)
        if any(changed[zone].any() for zone in _zones(self.carried, f)):
            return "full"  # it may have moved: look again, with both views
        count, labels, stats, _ = cv2.connectedComponentsWithStats(changed, connectivity=8)
        big = [k for k in range(1, count) if stats[k, cv2.CC_STAT_AREA] >= MOTION_MIN_BLOB]
        if not big:
            return None
        if regions is None or not len(regions):
            return "full"
        attached = np.zeros(changed.shape, bool)
        for zone in _zones(regions, f):
            attached[zone] = True
        touching = set(np.unique(labels[attached]).tolist())
        if any(k not in touching for k in big):
            return "full"
        return "roi" if any(self._leaving(changed, box * f) for box in regions.xyxy) else None

    @staticmethod
    def _leaving(changed: np.ndarray, box: np.ndarray) -> bool:
        x1, y1, x2, y2 = box
        bw, bh = x2 - x1, y2 - y1
        cy = (y1 + y2) / 2

        def clip(a, b, n):
            return max(0, int(a)), min(n, int(np.ceil(b)))

        oy1, oy2 = clip(y1 - RING_OUT * bh, cy, changed.shape[0])
        ox1, ox2 = clip(x1 - RING_OUT * bw, x2 + RING_OUT * bw, changed.shape[1])
        iy1, iy2 = clip(y1 - RING_IN * bh, cy, changed.shape[0])
        ix1, ix2 = clip(x1 - RING_IN * bw, x2 + RING_IN * bw, changed.shape[1])
        outer = changed[oy1:oy2, ox1:ox2]
        ring_area = outer.size - max(0, iy2 - iy1) * max(0, ix2 - ix1)
        if ring_area < MOTION_MIN_BLOB * 2:
            return False  # too small to judge at thumbnail scale; the Kalman prediction carries it
        moved = int(outer.sum()) - int(changed[iy1:iy2, ix1:ix2].sum())
        return moved > RING_SHARE * ring_area


def _zones(regions: Detections, f: float) -> list[tuple[slice, slice]]:
    """Thumbnail slices (frame-to-thumbnail scale f) where motion belongs to each region: the region
    grown by its size on every side, and a face's body below it.  A wider body zone would save
    detector runs on webcam footage but hides newcomers walking beside tracked people (walkway
    recall fell from 0.98 to 0.86 when tried)."""
    zones = []
    for x1, y1, x2, y2 in regions.padded(1.0).xyxy * f:
        y2 += (y2 - y1) * 1.5  # a face's body hangs below it
        zones.append((slice(max(0, int(y1)), int(np.ceil(y2))), slice(max(0, int(x1)), int(np.ceil(x2)))))
    return zones
