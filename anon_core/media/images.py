"""Still images: read with EXIF orientation applied, convert any layout to BGR uint8, write without metadata."""

from __future__ import annotations

import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from anon_core.atomic import publish, temp_beside
from anon_core.media.errors import MediaError, pixel_limit

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
MAX_PIXELS = pixel_limit("ANON_MAX_PIXELS", 120_000_000)  # refuse decompression bombs


def to_bgr8(img: np.ndarray, channel_order: str = "bgr") -> np.ndarray:
    """Grayscale, BGR(A)/RGB(A), 16-bit, float and bool images -> contiguous BGR uint8 (H, W, 3).

    16-bit images are scaled by their type range (not stretched), floats are taken as 0..1.
    Alpha is composited over black: transparent pixels carry no hidden content into the output.
    """
    img = np.asarray(img)
    if img.ndim not in (2, 3) or img.size == 0:
        raise MediaError(f"not an image array: shape {img.shape}")
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    elif img.dtype == np.uint16:
        img = (img.astype(np.uint32) + 128) // 257
    elif np.issubdtype(img.dtype, np.floating):
        img = np.nan_to_num(img) * 255 + 0.5
    elif img.dtype != np.uint8:
        info = np.iinfo(img.dtype)
        img = (img.astype(np.float64) - info.min) / (info.max - info.min) * 255 + 0.5
    img = np.clip(img, 0, 255).astype(np.uint8) if img.dtype != np.uint8 else img
    if img.ndim == 2 or img.shape[2] == 1:
        return cv2.cvtColor(img.reshape(img.shape[:2]), cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 2:  # gray + alpha
        gray, alpha = img[:, :, 0].astype(np.uint16), img[:, :, 1].astype(np.uint16)
        return cv2.cvtColor(((gray * alpha + 127) // 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        colour, alpha = img[:, :, :3].astype(np.uint16), img[:, :, 3:].astype(np.uint16)
        img = ((colour * alpha + 127) // 255).astype(np.uint8)
    elif img.shape[2] != 3:
        raise MediaError(f"images with {img.shape[2]} channels are not supported")
    img = img[:, :, :3]
    if channel_order == "rgb":
        img = img[:, :, ::-1]
    return np.ascontiguousarray(img)


def read_image(path: str | Path) -> np.ndarray:
    """Read a still image as BGR uint8 with its EXIF orientation applied."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path}: is a folder, not an image (a folder of frames: `anon frames`)" if path.is_dir()
                         else f"{path}: no such file")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 1x and 2x MAX_IMAGE_PIXELS (and raises above): the limit is
            # enforced here at its value, before any pixel is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
        with im:
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise Image.DecompressionBombError(f"{w}x{h}")
            frames = getattr(im, "n_frames", 1)
            if frames > 1:
                raise MediaError(f"{path}: animated image with {frames} frames; `anon image` takes one picture, "
                                 "use `anon video` for all frames (or save the frame you want as PNG)")
            im = ImageOps.exif_transpose(im)
            mode = im.mode
            if mode in ("I;16", "I;16B", "I;16L", "I"):
                arr = np.asarray(im).astype(np.int64)
                return to_bgr8(np.clip(arr, 0, 65535).astype(np.uint16))
            if mode == "F":
                return to_bgr8(np.asarray(im, np.float32) / max(1.0, float(np.asarray(im).max())))
            if mode not in ("L", "LA", "RGB", "RGBA"):
                im = im.convert("RGBA" if "A" in mode or "transparency" in im.info else "RGB")
            arr = np.asarray(im)
    except Image.DecompressionBombError:
        raise MediaError(f"{path}: image is larger than {MAX_PIXELS} pixels; downscale it first "
                         "(or raise ANON_MAX_PIXELS)") from None
    except MediaError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise MediaError(f"{path}: not a readable image ({exc}); supported: "
                         f"{', '.join(sorted(IMAGE_SUFFIXES))}") from None
    if arr.ndim == 3 and arr.shape[2] >= 3:
        arr = arr[:, :, [2, 1, 0] + ([3] if arr.shape[2] == 4 else [])]  # RGB(A) -> BGR(A)
    return to_bgr8(arr)


def encode_image(img_bgr: np.ndarray, suffix: str = ".png", quality: int = 92) -> bytes:
    """Encode to bytes with OpenCV: pixels only, no EXIF/GPS/XMP/ICC metadata is written."""
    suffix = suffix.lower()
    params = []
    if suffix in (".jpg", ".jpeg"):
        params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    elif suffix == ".webp":
        params = [cv2.IMWRITE_WEBP_QUALITY, quality]
    ok, buf = cv2.imencode(suffix, to_bgr8(img_bgr), params)
    if not ok:
        raise MediaError(f"cannot encode an image as {suffix}; use .jpg, .png or .webp")
    return buf.tobytes()


def write_image(path: str | Path, img_bgr: np.ndarray, quality: int = 92) -> None:
    """Write atomically (temp file + rename) without any metadata."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise MediaError(f"{path}: unknown image type {suffix!r}; use one of {', '.join(sorted(IMAGE_SUFFIXES))}")
    data = encode_image(img_bgr, ".jpg" if suffix == ".jpeg" else suffix, quality)
    tmp = temp_beside(path)
    try:
        tmp.write_bytes(data)
        publish(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
