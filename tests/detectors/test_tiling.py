"""Tiled inference (anon_core.detectors.tiling): windows, merging across tile borders, registry entries.

The merge tests use a real, exact detector of saturated rectangles (colour threshold + contours), so
every box a tile sees is the visible part of a rectangle in that tile: a rectangle across a tile
border is cut there, exactly like a person cut by a SAHI slice."""

import cv2
import numpy as np
import pytest

from anon_core.detections import Detections, box_iou
from anon_core.detectors.base import Detector, DetectorInfo
from anon_core.detectors.tiling import TiledDetector, TileGrid, merge_tiles

INFO = DetectorInfo("rectangles", ("person",), "embedded", "test", "saturated rectangles", default_threshold=0.5)


class RectangleDetector(Detector):
    """Boxes of the saturated red blobs of a frame (exact to the pixel); records the crop sizes it saw."""

    info = INFO

    def __init__(self):
        super().__init__()
        self.seen: list[tuple[int, int]] = []

    def detect(self, frame):
        self.seen.append(frame.shape[:2])
        red = ((frame[:, :, 2] > 200) & (frame[:, :, 1] < 60)).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(red, connectivity=4)
        s = stats[1:n]
        xyxy = np.stack([s[:, 0], s[:, 1], s[:, 0] + s[:, 2], s[:, 1] + s[:, 3]], 1) if n > 1 else np.zeros((0, 4))
        return Detections(xyxy, np.full(len(xyxy), 0.9), "person")


def scene(boxes, size=(1080, 1920)):
    frame = np.full((*size, 3), 90, np.uint8)
    for x1, y1, x2, y2 in boxes:
        frame[y1:y2, x1:x2] = (30, 30, 240)
    return frame


def test_windows_cover_the_frame_with_equal_overlapping_tiles():
    grid = TileGrid(cols=3, rows=2, overlap=0.25)
    wins = grid.windows((1080, 1920))
    assert len(wins) == 6
    sizes = {(x2 - x1, y2 - y1) for x1, y1, x2, y2 in wins}
    assert len(sizes) == 1, "equal tiles batch as one tensor on the torch path"
    covered = np.zeros((1080, 1920), bool)
    for x1, y1, x2, y2 in wins:
        covered[y1:y2, x1:x2] = True
    assert covered.all()
    (tw, th), = sizes
    xs = sorted({int(w[0]) for w in wins})
    assert xs[1] - xs[0] <= 0.75 * tw + 1  # neighbours share at least a quarter of a tile
    with pytest.raises(ValueError):
        TileGrid(cols=0)
    with pytest.raises(ValueError):
        TileGrid(overlap=0.6)


@pytest.mark.parametrize("full_frame", [False, True])
def test_boxes_across_tile_borders_come_out_once_and_whole(full_frame):
    grid = TileGrid(cols=3, rows=2, overlap=0.25, full_frame=full_frame)
    wins = grid.windows((1080, 1920))
    x_border, y_border = int(wins[1][0]), int(wins[0][3])  # left edge of tile 2, bottom edge of row 1
    truth = np.array([
        [x_border - 20, 300, x_border + 20, 420],  # across a vertical inner border
        [200, y_border - 60, 240, y_border + 40],  # across a horizontal inner border
        [x_border - 15, y_border - 50, x_border + 25, y_border + 50],  # across a corner of four tiles
        [900, 700, 940, 820],  # inside the overlap of two tiles: seen whole twice
        [1700, 100, 1760, 260],  # near the frame edge (not an inner border)
        [100, 900, 130, 980],  # small, in one tile only
    ])
    base = RectangleDetector()
    tiled = TiledDetector(base, grid)
    dets = tiled(scene(truth))
    assert len(dets) == len(truth), dets.xyxy
    iou = box_iou(truth.astype(np.float32), dets.xyxy)
    assert (iou.max(axis=1) >= 0.99).all(), "each box is whole, not a tile's part of it"
    assert len(set(iou.argmax(axis=1))) == len(truth)
    assert (len(wins), ) == (len(base.seen) - int(full_frame),)


def test_no_box_is_lost_in_a_dense_grid_of_small_boxes():
    rng = np.random.default_rng(3)
    truth = []
    for gy in range(6):
        for gx in range(12):
            x, y = 40 + gx * 155 + int(rng.integers(0, 40)), 40 + gy * 170 + int(rng.integers(0, 30))
            truth.append([x, y, x + 30, y + 90])
    truth = np.array(truth)
    dets = TiledDetector(RectangleDetector(), TileGrid(3, 2, 0.25, full_frame=False))(scene(truth))
    assert len(dets) == len(truth)
    assert (box_iou(truth.astype(np.float32), dets.xyxy).max(axis=1) >= 0.99).all()


def test_merge_keeps_overlapping_people_that_no_border_cuts():
    # Two people, one partly behind the other (IoU 0.44, the rear box 80 % inside the front one): nothing is
    # cut, so only NMS applies and both stay.
    dets = Detections(np.array([[100, 100, 160, 300], [120, 100, 170, 250]], np.float32), np.array([0.9, 0.6]),
                      "person")
    out = merge_tiles(dets, np.zeros(2, bool))
    assert len(out) == 2
    # The same rear box flagged as cut by a tile border is a part of the front one: merged.
    out = merge_tiles(dets, np.array([False, True]))
    assert len(out) == 1 and np.allclose(out.xyxy[0], [100, 100, 170, 300])


def test_labels_are_merged_separately():
    dets = Detections(np.array([[0, 0, 50, 100], [0, 0, 50, 100]], np.float32), np.array([0.9, 0.8]),
                      np.array(["person", "car"]))
    assert sorted(merge_tiles(dets, np.zeros(2, bool)).labels) == ["car", "person"]


def test_catalog_entries_wrap_yolox(model_dir):
    from anon_core.detectors import availability, create_detector

    assert availability("yolox-nano-tiled") == "downloaded"
    det = create_detector("yolox-nano-tiled", threshold=0.3)
    assert isinstance(det, TiledDetector) and det.info.name == "yolox-nano-tiled"
    assert det.threshold == det.base.threshold == 0.3
    d = det.describe()
    assert d["name"] == "yolox-nano-tiled" and d["tiles"]["cols"] == 3 and d["sha256"]
    assert det.costly


def test_tiled_entries_are_missing_without_weights(tmp_path, monkeypatch):
    from anon_core.detectors import availability

    monkeypatch.setenv("ANON_MODEL_DIR", str(tmp_path))
    assert availability("yolox-nano-tiled") == "missing"
    assert availability("yolox-nano-hd") == "missing"
