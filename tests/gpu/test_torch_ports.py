"""The torch ports (run here on CPU) give the same outputs as onnxruntime on real images."""

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from conftest import load_person_image

from anon_core.anonymize.regions import RegionStyle
from anon_core.detections import box_iou
from anon_core.detectors.centerface import CenterFace, _session
from anon_core.gpu.anonymize import DeviceRegion, anonymize_batch
from anon_core.gpu.centerface import find_centerface_onnx
from anon_core.gpu.detectors import TorchCenterFaceDetector
from anon_core.gpu.onnx_torch import OnnxModule, UnsupportedOnnxError, load


@pytest.fixture(scope="module")
def faces_frame(people):
    return cv2.resize(load_person_image(people[0], "amateur_selfie"), (640, 360), interpolation=cv2.INTER_AREA)


def test_centerface_port_equals_onnxruntime_on_a_real_face(faces_frame):
    blob = np.zeros((1, 3, 384, 640), np.float32)
    blob[0, :, :360] = faces_frame[:, :, ::-1].transpose(2, 0, 1)
    sess, name, outputs = _session(find_centerface_onnx())
    expected = sess.run(outputs, {name: blob})
    with torch.inference_mode():
        got = load(find_centerface_onnx())(torch.from_numpy(blob))
    assert len(got) == 4
    for e, g in zip(expected, got):
        assert g.shape == e.shape
        np.testing.assert_allclose(g.numpy(), e, atol=1e-3 * max(1.0, np.abs(e).max()))
    assert expected[0].max() > 0.5  # a confident face: the comparison covers a real detection


def test_yolox_port_equals_onnxruntime_batched(tud_campus, yolox_nano_path):
    frame = cv2.imread(str(tud_campus / "img1" / "000001.jpg"))
    canvas = np.full((416, 416, 3), 114, np.uint8)
    canvas[:312] = cv2.resize(frame, (416, 312))
    blob = canvas.transpose(2, 0, 1)[None].astype(np.float32)
    sess = ort.InferenceSession(str(yolox_nano_path), providers=["CPUExecutionProvider"])
    expected = sess.run(None, {"images": blob})[0]
    with torch.inference_mode():  # batch of 2 through a graph exported with batch 1
        got = load(yolox_nano_path)(torch.from_numpy(np.concatenate([blob, blob])))[0].numpy()
    assert got.shape == (2,) + expected.shape[1:]
    np.testing.assert_allclose(got[1], expected[0], atol=1e-3 * np.abs(expected).max())
    assert (expected[0, :, 4] * expected[0, :, 5]).max() > 0.5  # persons found, so the check is meaningful


def test_torch_centerface_detector_finds_the_same_faces_as_the_cpu_detector(faces_frame, people):
    other = cv2.resize(load_person_image(people[1], "studio_portrait"), (640, 360))
    frames = [faces_frame, other]
    cpu = CenterFace().detect_batch(frames)
    port = TorchCenterFaceDetector(device="cpu").detect_batch(frames)
    for a, b in zip(cpu, port):
        assert len(a) == len(b) >= 1
        assert box_iou(a.xyxy, b.xyxy).max(axis=1).min() > 0.95
        np.testing.assert_allclose(a.scores, b.scores, atol=0.02)
        assert b.landmarks.shape == (len(b), 5, 2)


def test_anonymize_batch_changes_only_the_regions(faces_frame):
    frames = torch.from_numpy(np.stack([faces_frame, faces_frame]))
    before = frames.clone()
    box = np.array([[200, 50, 400, 300]], np.float32)
    out = anonymize_batch(frames, [box, np.zeros((0, 4))], DeviceRegion("fill", RegionStyle("box", 0.0))).numpy()
    assert torch.equal(frames, before)  # input untouched
    assert (out[0, 50:300, 200:400] == 0).all()
    out[0, 50:300, 200:400] = faces_frame[50:300, 200:400]
    np.testing.assert_array_equal(out[0], faces_frame)
    np.testing.assert_array_equal(out[1], faces_frame)
    blurred = anonymize_batch(frames, [box, box], DeviceRegion("blur", RegionStyle("ellipse"))).numpy()
    roi = blurred[0, 80:270, 240:360].astype(float)
    assert np.abs(np.diff(roi, axis=1)).mean() < 0.5 * np.abs(np.diff(faces_frame[80:270, 240:360].astype(float),
                                                                         axis=1)).mean()
    assert (blurred[0, 0:30] == faces_frame[0:30]).all()  # outside the padded box (y >= 31) nothing changes
    assert (blurred[0, 35, 205] == faces_frame[35, 205]).all()  # a corner of the box outside the ellipse


def test_unsupported_ops_are_named():
    node = onnx.helper.make_node("Gelu", ["x"], ["y"])
    graph = onnx.helper.make_graph([node], "g", [onnx.helper.make_tensor_value_info("x", 1, [1])],
                                   [onnx.helper.make_tensor_value_info("y", 1, [1])])
    with pytest.raises(UnsupportedOnnxError, match="Gelu"):
        OnnxModule(onnx.helper.make_model(graph))
