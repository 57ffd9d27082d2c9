import io

import numpy as np
import pytest
from PIL import Image

from anon_core.media import MediaError, read_image, to_bgr8, write_image
from anon_core.media import images as images_mod


def test_exif_orientation_is_applied(tmp_path):
    img = np.zeros((40, 80, 3), np.uint8)
    img[:, :20] = [255, 0, 0]  # left band red (RGB)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    path = tmp_path / "rot.jpg"
    Image.fromarray(img).save(path, exif=exif, quality=95)
    out = read_image(path)
    assert out.shape == (80, 40, 3)
    assert out[:15, :, 2].mean() > 200 and out[-15:, :, 2].mean() < 50  # red band now on top (BGR red = ch 2)


@pytest.mark.parametrize("mode,arr", [
    ("L", np.full((10, 12), 128, np.uint8)),
    ("RGBA", np.dstack([np.full((10, 12, 3), 200, np.uint8), np.full((10, 12), 255, np.uint8)])),
    ("I;16", np.full((10, 12), 65535, np.uint16)),
    ("LA", np.dstack([np.full((10, 12), 100, np.uint8), np.full((10, 12), 255, np.uint8)])),
])
def test_layouts_become_bgr8(tmp_path, mode, arr):
    path = tmp_path / f"img_{mode.replace(';', '')}.png"
    im = Image.fromarray(arr)
    assert im.mode == mode
    im.save(path)
    out = read_image(path)
    assert out.dtype == np.uint8 and out.shape == (10, 12, 3)
    expected = {"L": 128, "RGBA": 200, "I;16": 255, "LA": 100}[mode]
    assert abs(int(out.mean()) - expected) <= 1


def test_transparent_pixels_carry_no_content():
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., :3] = 250
    rgba[..., 3] = 0
    assert to_bgr8(rgba).max() == 0


def test_written_images_have_no_metadata(tmp_path):
    src = tmp_path / "gps.jpg"
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 0.0)}  # GPS IFD
    Image.fromarray(np.full((32, 32, 3), 90, np.uint8)).save(src, exif=exif)
    assert Image.open(src).getexif()
    for suffix in (".jpg", ".png", ".webp"):
        dst = tmp_path / f"out{suffix}"
        write_image(dst, read_image(src))
        with Image.open(dst) as im:
            assert not im.getexif(), suffix
            assert "xmp" not in im.info and "exif" not in im.info and "icc_profile" not in im.info
        assert b"SecretCam" not in dst.read_bytes()


def test_bad_inputs_raise_clear_errors(tmp_path, monkeypatch):
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    with pytest.raises(MediaError, match="not a readable image"):
        read_image(text)
    with pytest.raises(MediaError, match="no such file"):
        read_image(tmp_path / "missing.png")
    big = tmp_path / "big.png"
    Image.fromarray(np.zeros((300, 400), np.uint8)).save(big)
    monkeypatch.setattr(images_mod, "MAX_PIXELS", 10_000)
    with pytest.raises(MediaError, match="larger than"):
        read_image(big)
    with pytest.raises(MediaError, match="unknown image type"):
        write_image(tmp_path / "x.gifv", np.zeros((4, 4, 3), np.uint8))


def test_truncated_jpeg(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 10, np.uint8)).save(buf, format="JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buf.getvalue()[:200])
    with pytest.raises(MediaError):
        read_image(path)


@pytest.mark.parametrize("value", ["abc", "0", "-5"])
def test_a_bad_pixel_limit_in_the_environment_is_one_line_and_exit_2(tmp_path, value):
    """ANON_MAX_PIXELS=abc used to be a traceback at import (int() at module level), before any command ran."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, ANON_MAX_PIXELS=value)
    p = subprocess.run([sys.executable, "-m", "anon_core.cli.main", "image", str(tmp_path / "a.jpg"), "-o",
                        str(tmp_path / "b.jpg")], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stderr.strip().splitlines() == [
        f"anon: error: ANON_MAX_PIXELS={value!r}: give a positive whole number of pixels (default 120000000)"]
