"""Where a pipeline runs: its device is a setting (PipelineConfig.device), and this module is the one place
that says what each device can do.

    "cpu"        detectors on onnxruntime (or their own runtime), frames in numpy: every feature
    "cuda"       the torch ports of the detectors on the GPU (cuda:N picks a GPU), video in batches
                 of I420 frames on the device (anon_core/gpu/video_job.py)
    "cpu-torch"  the same torch code on the CPU: how the device path is tested without a GPU

Tracker, detection schedule, hold, region growth and the controls (zones, consent list, review) are
the same code on every device (anon_core/pipeline.py); `device_support` refuses, in one line, what the
batched device job does not do, so the CLI, `anon batch` and the app all say the same thing.
No torch import here: the check runs before any model is loaded.
"""

from __future__ import annotations

import re

DEVICE_HELP = "cpu|cuda|cuda:N|cpu-torch"
# What the device job anonymizes on the device (anon_core/gpu/anonymize.py): region methods only
DEVICE_METHODS = ("blur", "pixelate", "fill")
DEVICE_FACE_DETECTORS = ("centerface",)  # torch ports the batched loop runs (anon_core/gpu/detectors.py)
DEVICE_PERSON_DETECTORS = ("yolox-nano", "yolox-tiny", "yolox-s", "yolox-m", "yolox-nano-hd", "yolox-tiny-hd",
                           "yolox-s-hd")


def check_device(device: str) -> str:
    """The device name, or ValueError saying which names exist."""
    if device in ("cpu", "cpu-torch", "cuda") or re.fullmatch(r"cuda:\d+", str(device)):
        return device
    raise ValueError(f"unknown device {device!r}; use {DEVICE_HELP}")


def torch_device(device: str) -> str:
    """The torch device a device setting runs on ("cpu-torch" is torch on the CPU)."""
    return "cpu" if device == "cpu-torch" else device


def on_device(config) -> bool:
    """True when the config runs the torch ports (GPU, or torch on the CPU), not onnxruntime."""
    return getattr(config, "device", "cpu") != "cpu"


def device_support(config) -> str | None:
    """None when `config` runs on its device; else one line saying what to change. Called by
    PipelineConfig itself, so every caller (CLI, batch, app, library) gets the same refusal."""
    if not on_device(config):
        return None
    problems = []
    if "face" in config.targets and config.face_detector not in DEVICE_FACE_DETECTORS:
        problems.append(f"--face-detector {'|'.join(DEVICE_FACE_DETECTORS)}")
    if "person" in config.targets and config.person_detector not in DEVICE_PERSON_DETECTORS:
        problems.append(f"--person-detector {'|'.join(DEVICE_PERSON_DETECTORS)}")
    methods = _methods(config)
    if not set(methods) <= set(DEVICE_METHODS):
        problems.append(f"--method {'|'.join(DEVICE_METHODS)} (not {', '.join(sorted(set(methods)))})")
    if config.detect_every != 1:
        problems.append("--detect-every 1 (the device detects every frame, in batches)")
    if not problems:
        return None
    return (f"--device {config.device} runs CenterFace, YOLOX and region methods; use "
            + ", ".join(problems) + ", or run with --device cpu")


def _methods(config) -> list[str]:
    """The anonymization method of each target the config anonymizes (a policy file's rules win)."""
    if config.policy is None:
        return [config.method]
    return [rule.method for label, rule in config.policy.rules.items() if label in config.targets]


def check_torch_device(device: str) -> None:
    """ValueError (one line) when a CUDA device is asked for and torch sees none."""
    if not device.startswith("cuda"):
        return
    import torch

    if not torch.cuda.is_available():
        raise ValueError(f"--device {device}: torch {torch.__version__} sees no CUDA GPU (install a CUDA build "
                         "of torch on a machine with an NVIDIA driver), or run with --device cpu")
