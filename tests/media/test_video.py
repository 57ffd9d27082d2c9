import av
import numpy as np
import pytest
from media_factory import make_clip, marker_frame, with_rotation

from anon_core.media import MediaError, VideoReader, VideoWriter, open_source, probe


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("v") / "clip.mp4", frames=30, fps=25)


def test_reader_streams_all_frames_with_info(clip):
    with VideoReader(clip) as r:
        assert (r.info.width, r.info.height, r.info.fps, r.info.frame_count) == (160, 120, 25.0, 30)
        frames = list(r.timed_frames())
    assert len(frames) == 30
    assert frames[0][0] == 0.0 and abs(frames[-1][0] - 29 / 25) < 1e-6
    ref = marker_frame(10)
    assert np.abs(frames[10][1].astype(int) - ref).mean() < 6  # right frame, right colours (BGR)


@pytest.mark.parametrize("degrees,corner", [(90, "bottom-left"), (-90, "top-right"), (180, "bottom-right")])
def test_rotation_metadata_is_honoured(clip, tmp_path, degrees, corner):
    rotated = with_rotation(clip, tmp_path / "rot.mp4", degrees)
    with VideoReader(rotated) as r:
        frame = next(r.frames())
        assert frame.shape[:2] == (r.info.height, r.info.width)
    h, w = frame.shape[:2]
    ys, xs = np.nonzero((frame[..., 2] > 200) & (frame[..., 0] < 60))
    where = ("top" if ys.mean() < h / 2 else "bottom") + "-" + ("left" if xs.mean() < w / 2 else "right")
    assert where == corner


def test_writer_keeps_variable_timestamps_and_duration(tmp_path):
    times = [0.0, 0.04, 0.08, 0.2, 0.24, 0.5, 0.54, 0.58]
    src = make_clip(tmp_path / "vfr.mp4", frames=len(times), times=times)
    dst = tmp_path / "out.mp4"
    with VideoReader(src) as r, VideoWriter(dst, r.info.fps) as w:
        for t, f in r.timed_frames():
            w.write(f, t)
    with VideoReader(dst) as r:
        out_times = [t for t, _ in r.timed_frames()]
    assert np.allclose(out_times, times, atol=1e-3)


def test_writer_leaves_nothing_on_error(tmp_path):
    dst = tmp_path / "partial.mp4"
    with pytest.raises(RuntimeError):
        with VideoWriter(dst, 25) as w:
            w.write(np.zeros((64, 64, 3), np.uint8))
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_odd_sizes_are_encoded(tmp_path):
    dst = tmp_path / "odd.mp4"
    with VideoWriter(dst, 10) as w:
        for _ in range(3):
            w.write(np.full((33, 47, 3), 100, np.uint8))
    info = probe(dst)
    assert (info.width, info.height, info.frame_count) == (48, 34, 3)


def test_audio_copy(tmp_path):
    src = make_clip(tmp_path / "a.mp4", frames=25, audio=True)
    for keep in (False, True):
        dst = tmp_path / f"out_{keep}.mp4"
        with VideoReader(src) as r, VideoWriter(dst, r.info.fps, audio_from=src if keep else None) as w:
            for t, f in r.timed_frames():
                w.write(f, t)
        with av.open(str(dst)) as c:
            assert bool(c.streams.audio) is keep


def test_bad_videos(tmp_path, clip):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 1000 + b"definitely not a video" * 50)
    with pytest.raises(MediaError, match="not a readable video"):
        VideoReader(junk)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty file"):
        VideoReader(empty)
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(clip.read_bytes()[: clip.stat().st_size // 3])
    with pytest.raises(MediaError):
        with VideoReader(truncated) as r:
            assert sum(1 for _ in r.frames()) == 30
    with pytest.raises(MediaError, match="no such file"):
        open_source(tmp_path / "nothing.mp4")
    audio_only = tmp_path / "tone.m4a"
    with av.open(str(audio_only), "w") as c:
        s = c.add_stream("aac", rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 48000, 0
        for p in list(s.encode(frame)) + list(s.encode(None)):
            c.mux(p)
    with pytest.raises(MediaError, match="no video stream"):
        VideoReader(audio_only)


def test_zero_frame_video_is_rejected(tmp_path):
    import subprocess

    from media_factory import ffmpeg_exe

    zero = tmp_path / "zero.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=size=64x64:rate=25",
                    "-frames:v", "0", "-c:v", "libx264", str(zero)], check=True)
    with pytest.raises(MediaError, match="no video stream|no decodable frames"):
        VideoReader(zero)


@pytest.mark.parametrize("frames", [1, 2, 4])
def test_very_short_clips_decode_every_frame(tmp_path, frames):
    """The encoder's lookahead means the first decoded frame needs every packet of a short clip."""
    clip = make_clip(tmp_path / "short.mp4", frames=frames)
    with VideoReader(clip) as r:
        assert sum(1 for _ in r.frames()) == frames


def test_i420_planes_round_trip_and_bad_planes_are_refused(tmp_path):
    from media_factory import make_clip

    clip = make_clip(tmp_path / "in.mp4", frames=5, size=(160, 120))
    with VideoReader(clip) as r:
        timed = list(r.timed_i420())
    assert len(timed) == 5 and timed[0][1].shape == (180, 160) and timed[0][1].dtype == np.uint8
    with VideoWriter(tmp_path / "out.mp4", 25.0) as w:
        for t, planes in timed:
            w.write_i420(planes, t)
        with pytest.raises(MediaError, match="even H and W"):
            w.write_i420(np.zeros((181, 160), np.uint8))
    with VideoReader(clip) as a, VideoReader(tmp_path / "out.mp4") as b:
        for x, y in zip(a.frames(), b.frames()):
            assert np.abs(x.astype(int) - y).mean() < 2
