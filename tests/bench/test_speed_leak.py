"""`anon bench speed` leak rate (issue #13, model-free): the figures exist and add up, the default
engine leaks no face-frame of a short synthetic clip, while the raw clip against itself and an
untouched x264 re-encode of it (anonymization off) leak every scored face-frame."""

import pytest

from anon_core.bench.speed import SpeedConfig, run_speed, speed_markdown
from anon_core.bench.video_leak import video_leaks
from anon_core.media.video import VideoReader, VideoWriter


def _consistent(leak: dict) -> None:
    for key in ("all", "visible"):
        rule = leak[key]
        assert sum(b["faces"] for b in rule["buckets"].values()) == rule["faces"]
        assert sum(b["leaks"] for b in rule["buckets"].values()) == rule["leaks"]
        assert all(0 <= b["leaks"] <= b["faces"] for b in rule["buckets"].values())
    assert leak["visible"]["faces"] <= leak["all"]["faces"]


def test_speed_leak_rate_default_leaks_nothing_untouched_leaks_everything(tmp_path, monkeypatch):
    monkeypatch.setenv("ANON_CACHE_DIR", str(tmp_path / "cache"))  # never the user's cache
    result = run_speed(SpeedConfig(synth="webcam", size=(320, 240), seconds=1.0, deface=False))
    leak = result["ours"]["leak"]
    _consistent(leak)
    assert leak["all"]["faces"] >= result["frames"] > 0  # the webcam face is >= 16 px on every frame
    assert leak["all"]["leaks"] == 0 and leak["all"]["leak_rate"] == 0.0, leak["leaked"]
    assert result["goals"]["leak_at_most_1pct_visible_faces"] is True
    assert "leaks / face-frames" in speed_markdown(result)

    clip = result["clip"]
    faces = tmp_path / "cache"
    faces = next(faces.rglob("faces.jsonl"))
    same = video_leaks(clip, clip, faces)  # sanity: NCC of a crop with itself is 1.0
    _consistent(same)
    assert same["all"]["leaks"] == same["all"]["faces"] == leak["all"]["faces"]
    assert min(x["ncc"] for x in same["leaked"]) > 0.999

    untouched = tmp_path / "untouched.mp4"  # anonymization off: decode + x264 ultrafast re-encode only
    with VideoReader(clip) as reader, VideoWriter(untouched, reader.info.fps) as writer:
        for frame in reader.frames():
            writer.write(frame)
    off = video_leaks(clip, untouched, faces)
    _consistent(off)
    assert off["all"]["leaks"] == off["all"]["faces"] == leak["all"]["faces"]

    short = tmp_path / "short.mp4"  # a dropped frame would score every later GT box on the wrong frame
    with VideoReader(clip) as reader, VideoWriter(short, reader.info.fps) as writer:
        for i, frame in enumerate(reader.frames()):
            if i:
                writer.write(frame)
    with pytest.raises(ValueError, match="differ in frame count"):
        video_leaks(clip, short, faces)
