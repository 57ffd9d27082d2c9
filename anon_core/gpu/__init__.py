"""Torch ports of the ONNX detectors (CenterFace, YOLOX) and a CUDA anonymization path.

The engine's default stays the CPU path (onnxruntime); these modules need only numpy, torch and
onnx, so they run on CUDA machines without onnxruntime-gpu, cv2 or PyAV.  `python -m
anon_core.gpu.device_check --out DIR` validates them and measures 1080p throughput on a GPU.
"""
