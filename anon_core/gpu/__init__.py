"""Torch ports of the ONNX detectors (CenterFace, YOLOX) and the pipeline's batched video job on a device.

A pipeline runs here when its config says so (PipelineConfig.device, anon_core/devices.py); the ports
need only numpy, torch and onnx (no onnxruntime-gpu); the video job uses the shared pipeline, PyAV and
cv2 like the CPU path.  `python -m
anon_core.gpu.device_check --out DIR` validates them and measures 1080p throughput on a GPU.
"""
