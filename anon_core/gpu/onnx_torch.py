"""A small ONNX -> torch interpreter for the op set of our detector graphs (CenterFace, YOLOX).

`OnnxModule(model_proto)` keeps the graph's initializers as buffers (so `.to("cuda").half()` works)
and runs the nodes in topological order with torch functional ops.  Supported ops: Conv,
ConvTranspose, BatchNormalization, Relu, LeakyRelu, Sigmoid, Mul, Add, Sub, Div, Concat, Slice,
Reshape, Flatten, Transpose, MaxPool, AveragePool, Resize, Upsample, Split, Identity, Constant.
Shape arguments (Slice, Reshape, Resize) must be constants; a Reshape to batch 1 follows the
input's batch so that exports with a fixed batch of 1 run batched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

SUPPORTED = {"Conv", "ConvTranspose", "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid", "Mul", "Add", "Sub",
             "Div", "Concat", "Slice", "Reshape", "Flatten", "Transpose", "MaxPool", "AveragePool", "Resize",
             "Upsample", "Split", "Identity", "Constant"}


class UnsupportedOnnxError(ValueError):
    pass


def _attrs(node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _pads(attrs: dict, ndim: int = 2) -> tuple[int, ...]:
    pads = list(attrs.get("pads", [0] * 2 * ndim))
    if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise UnsupportedOnnxError("auto_pad is not supported; re-export the model with explicit pads")
    begin, end = pads[:ndim], pads[ndim:]
    if begin != end:
        raise UnsupportedOnnxError(f"asymmetric pads {pads} are not supported")
    return tuple(begin)


class OnnxModule(torch.nn.Module):
    """Executes an ONNX graph with torch ops; outputs are returned as a tuple in graph order."""

    def __init__(self, model: onnx.ModelProto | str | Path):
        super().__init__()
        if not isinstance(model, onnx.ModelProto):
            model = onnx.load(str(model))
        graph = model.graph
        unknown = sorted({n.op_type for n in graph.node} - SUPPORTED)
        if unknown:
            raise UnsupportedOnnxError(f"ONNX ops {unknown} are not supported by anon_core.gpu.onnx_torch")
        self._consts: dict[str, np.ndarray] = {}  # small int/float arrays used as shape arguments
        self._names: dict[str, str] = {}  # onnx tensor name -> buffer name
        for i, t in enumerate(graph.initializer):
            arr = numpy_helper.to_array(t)
            self._consts[t.name] = arr
            if arr.dtype.kind == "f" and arr.size > 0:
                self._names[t.name] = f"w{i}"
                self.register_buffer(f"w{i}", torch.from_numpy(arr.astype(np.float32).copy()))
        for node in graph.node:
            if node.op_type == "Constant":
                self._consts[node.output[0]] = numpy_helper.to_array(_attrs(node)["value"])
        init = {t.name for t in graph.initializer}
        self.input_names = [i.name for i in graph.input if i.name not in init]
        self.output_names = [o.name for o in graph.output]
        self.nodes = [(n.op_type, list(n.input), list(n.output), _attrs(n)) for n in graph.node
                      if n.op_type != "Constant"]

    # --------------------------------------------------------------------------------------- run
    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        env: dict[str, torch.Tensor] = dict(zip(self.input_names, inputs))
        for onnx_name, buf in self._names.items():
            env[onnx_name] = getattr(self, buf)
        for op, ins, outs, attrs in self.nodes:
            result = getattr(self, f"_op_{op}")(env, ins, attrs)
            if isinstance(result, (list, tuple)):
                for name, value in zip(outs, result):
                    env[name] = value
            else:
                env[outs[0]] = result
        return tuple(env[n] for n in self.output_names)

    def _const(self, name: str) -> np.ndarray | None:
        return self._consts.get(name) if name else None

    # --------------------------------------------------------------------------------------- ops
    def _op_Conv(self, env, ins, a):
        bias = env[ins[2]] if len(ins) > 2 and ins[2] else None
        return F.conv2d(env[ins[0]], env[ins[1]], bias, stride=tuple(a.get("strides", (1, 1))),
                        padding=_pads(a), dilation=tuple(a.get("dilations", (1, 1))), groups=a.get("group", 1))

    def _op_ConvTranspose(self, env, ins, a):
        bias = env[ins[2]] if len(ins) > 2 and ins[2] else None
        return F.conv_transpose2d(env[ins[0]], env[ins[1]], bias, stride=tuple(a.get("strides", (1, 1))),
                                  padding=_pads(a), output_padding=tuple(a.get("output_padding", (0, 0))),
                                  groups=a.get("group", 1), dilation=tuple(a.get("dilations", (1, 1))))

    def _op_BatchNormalization(self, env, ins, a):
        x, w, b, mean, var = (env[n] for n in ins[:5])
        return F.batch_norm(x, mean, var, w, b, training=False, eps=a.get("epsilon", 1e-5))

    def _op_Relu(self, env, ins, a):
        return F.relu(env[ins[0]])

    def _op_LeakyRelu(self, env, ins, a):
        return F.leaky_relu(env[ins[0]], a.get("alpha", 0.01))

    def _op_Sigmoid(self, env, ins, a):
        return torch.sigmoid(env[ins[0]])

    def _binary(self, env, ins):
        x = env[ins[0]] if ins[0] in env else torch.as_tensor(self._consts[ins[0]])
        y = env[ins[1]] if ins[1] in env else torch.as_tensor(self._consts[ins[1]])
        ref = x if isinstance(x, torch.Tensor) and x.is_floating_point() else y
        return x.to(ref.device, ref.dtype), y.to(ref.device, ref.dtype)

    def _op_Mul(self, env, ins, a):
        x, y = self._binary(env, ins)
        return x * y

    def _op_Add(self, env, ins, a):
        x, y = self._binary(env, ins)
        return x + y

    def _op_Sub(self, env, ins, a):
        x, y = self._binary(env, ins)
        return x - y

    def _op_Div(self, env, ins, a):
        x, y = self._binary(env, ins)
        return x / y

    def _op_Concat(self, env, ins, a):
        return torch.cat([env[n] for n in ins], dim=a["axis"])

    def _op_Identity(self, env, ins, a):
        return env[ins[0]]

    def _op_Slice(self, env, ins, a):
        x = env[ins[0]]
        if len(ins) > 1:  # opset >= 10: starts, ends, axes, steps as inputs
            starts, ends = self._const(ins[1]), self._const(ins[2])
            axes = self._const(ins[3]) if len(ins) > 3 else None
            steps = self._const(ins[4]) if len(ins) > 4 else None
        else:
            starts, ends, axes, steps = a["starts"], a["ends"], a.get("axes"), None
        if starts is None or ends is None:
            raise UnsupportedOnnxError("Slice with non-constant bounds is not supported")
        axes = range(len(starts)) if axes is None else axes
        steps = [1] * len(starts) if steps is None else steps
        index = [slice(None)] * x.dim()
        for s, e, ax, st in zip(starts, ends, axes, steps):
            if st <= 0:
                raise UnsupportedOnnxError("Slice with non-positive steps is not supported")
            n = x.shape[int(ax)]
            index[int(ax)] = slice(int(max(min(s, n), -n)), int(max(min(e, n), -n - 1)), int(st))
        return x[tuple(index)]

    def _op_Reshape(self, env, ins, a):
        x = env[ins[0]]
        shape = [int(v) for v in self._const(ins[1])]
        shape = [x.shape[i] if v == 0 else v for i, v in enumerate(shape)]
        if shape and shape[0] == 1 and x.shape[0] != 1:  # exported with batch 1: follow the real batch
            shape[0] = x.shape[0]
        return x.reshape(shape)

    def _op_Flatten(self, env, ins, a):
        return torch.flatten(env[ins[0]], start_dim=a.get("axis", 1))

    def _op_Transpose(self, env, ins, a):
        x = env[ins[0]]
        return x.permute(*a.get("perm", list(range(x.dim()))[::-1]))

    def _op_MaxPool(self, env, ins, a):
        return F.max_pool2d(env[ins[0]], tuple(a["kernel_shape"]), stride=tuple(a.get("strides", (1, 1))),
                            padding=_pads(a), ceil_mode=bool(a.get("ceil_mode", 0)))

    def _op_AveragePool(self, env, ins, a):
        return F.avg_pool2d(env[ins[0]], tuple(a["kernel_shape"]), stride=tuple(a.get("strides", (1, 1))),
                            padding=_pads(a), ceil_mode=bool(a.get("ceil_mode", 0)),
                            count_include_pad=bool(a.get("count_include_pad", 0)))

    def _resize(self, x, scales, sizes, a):
        mode = a.get("mode", b"nearest")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        ctm = a.get("coordinate_transformation_mode", b"half_pixel")
        ctm = ctm.decode() if isinstance(ctm, bytes) else ctm
        size = None
        if sizes is not None and len(sizes):
            size = tuple(int(v) for v in sizes[2:])
        elif scales is not None and len(scales):
            size = tuple(int(np.floor(x.shape[2 + i] * float(s))) for i, s in enumerate(scales[2:]))
        else:
            raise UnsupportedOnnxError("Resize/Upsample needs constant scales or sizes")
        if mode == "nearest":
            nearest = a.get("nearest_mode", b"round_prefer_floor")
            nearest = nearest.decode() if isinstance(nearest, bytes) else nearest
            if ctm == "asymmetric" and nearest == "floor":
                return F.interpolate(x, size=size, mode="nearest")
            if ctm in ("half_pixel", "pytorch_half_pixel", "tf_half_pixel_for_nn"):
                return F.interpolate(x, size=size, mode="nearest-exact")
            return F.interpolate(x, size=size, mode="nearest")
        if mode == "linear":
            return F.interpolate(x, size=size, mode="bilinear", align_corners=ctm == "align_corners")
        raise UnsupportedOnnxError(f"Resize mode {mode!r} is not supported")

    def _op_Resize(self, env, ins, a):
        scales = self._const(ins[2]) if len(ins) > 2 else None
        sizes = self._const(ins[3]) if len(ins) > 3 else None
        return self._resize(env[ins[0]], scales, sizes, a)

    def _op_Upsample(self, env, ins, a):
        scales = self._const(ins[1]) if len(ins) > 1 else np.asarray(a.get("scales"))
        return self._resize(env[ins[0]], scales, None, {**a, "coordinate_transformation_mode": b"asymmetric",
                                                        "nearest_mode": b"floor"})

    def _op_Split(self, env, ins, a):
        x = env[ins[0]]
        axis = a.get("axis", 0)
        split = a.get("split")
        if split is None and len(ins) > 1 and ins[1]:
            split = self._const(ins[1])
        if split is None:
            raise UnsupportedOnnxError("Split without explicit sizes is not supported")
        return torch.split(x, [int(s) for s in split], dim=axis)


def load(path: str | Path) -> OnnxModule:
    """Load an ONNX file as a torch module in eval mode (CPU, fp32; move it with `.to(device, dtype)`)."""
    return OnnxModule(onnx.load(str(path))).eval()
