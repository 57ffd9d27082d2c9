"""Model store: loopback downloads with sha256 verification, user-placed files, clear errors when missing."""

import functools
import http.server
import threading

import pytest

from anon_core.detectors import ModelUnavailableError, create_detector
from anon_core.models import store
from anon_core.models.checksums import sha256_file

NANO_SHA256 = "695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14"  # ../shared/models/SOURCE.md


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture()
def server(yolox_nano_path):
    """http://127.0.0.1:<random port>/ serving ../shared/models."""
    handler = functools.partial(QuietHandler, directory=str(yolox_nano_path.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def empty_dir(tmp_path, monkeypatch):
    d = tmp_path / "models"
    monkeypatch.setenv("ANON_MODEL_DIR", str(d))
    return d


def test_model_dir_from_env_or_platformdirs(monkeypatch, tmp_path):
    monkeypatch.setenv("ANON_MODEL_DIR", str(tmp_path))
    assert store.model_dir() == tmp_path
    monkeypatch.delenv("ANON_MODEL_DIR")
    assert store.model_dir().name == "models" and "anonymize-first" in str(store.model_dir())


def test_table_has_the_official_yolox_urls():
    assert set(store.MODELS) == {"yolox-nano", "yolox-tiny", "yolox-s", "yolox-m"}
    assert store.MODELS["yolox-s"].url == (
        "https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_s.onnx")
    assert store.MODELS["yolox-m"].filename == "yolox_m.onnx"


def test_fetch_with_right_sha256(server, empty_dir, yolox_nano_path):
    path = store.fetch("yolox-nano", url=f"{server}/yolox_nano.onnx", sha256=NANO_SHA256, progress=False)
    assert path == empty_dir / "yolox_nano.onnx" and path.is_file()
    assert sha256_file(path) == NANO_SHA256 and path.stat().st_size == yolox_nano_path.stat().st_size
    assert store.locate("yolox-nano") == path and store.require("yolox-nano") == path
    prov = store.provenance("yolox-nano")
    assert prov["sha256"] == NANO_SHA256 and prov["verified"] is True and prov["url"].startswith(server)
    assert not list(empty_dir.glob("*.part"))
    # the downloaded model runs
    assert create_detector("yolox-nano").describe()["checksum_verified"] is True


def test_fetch_with_wrong_sha256_leaves_nothing(server, empty_dir):
    with pytest.raises(store.ChecksumError, match="expected 0000"):
        store.fetch("yolox-nano", url=f"{server}/yolox_nano.onnx", sha256="0" * 64, progress=False)
    assert list(empty_dir.iterdir()) == []
    assert store.locate("yolox-nano") is None


def test_unverified_fetch_records_the_checksum(server, empty_dir, monkeypatch):
    # the table has no sha256 for yolox-nano's release asset: the download is kept and its checksum recorded
    monkeypatch.setenv("ANON_MODEL_URL_YOLOX_NANO", f"{server}/yolox_nano.onnx")
    path = store.fetch("yolox-nano", progress=False)
    prov = store.provenance("yolox-nano")
    assert prov["verified"] is False and prov["sha256"] == sha256_file(path) == NANO_SHA256


def test_failed_download_is_a_clear_error(server, empty_dir):
    with pytest.raises(ModelUnavailableError, match="copy yolox_tiny.onnx into"):
        store.fetch("yolox-tiny", url=f"{server}/does_not_exist.onnx", progress=False)
    assert not any(p.name.endswith(".part") for p in empty_dir.iterdir())


def test_missing_model_says_how_to_get_it(empty_dir):
    assert store.locate("yolox-s") is None
    with pytest.raises(ModelUnavailableError, match=r"`anon models pull yolox-s`.*copy yolox_s.onnx there"):
        store.require("yolox-s")
    with pytest.raises(ModelUnavailableError, match="unknown downloadable model"):
        store.locate("yolox-xxl")


def test_user_placed_file_is_used_as_is(model_dir):
    path = store.require("yolox-nano")
    assert path.parent == model_dir
    assert store.provenance("yolox-nano") == {"url": None, "verified": False}


def test_detector_auto_download_is_explicit(server, empty_dir, monkeypatch):
    monkeypatch.setenv("ANON_MODEL_URL_YOLOX_NANO", f"{server}/yolox_nano.onnx")
    with pytest.raises(ModelUnavailableError):
        create_detector("yolox-nano")  # never downloads on its own
    assert store.locate("yolox-nano") is None
    det = create_detector("yolox-nano", auto_download=True)
    assert det.path == empty_dir / "yolox_nano.onnx"


def test_cli_downloads_a_missing_model_on_first_use(server, empty_dir, monkeypatch, tmp_path, capsys):
    """`anon video --targets person` with an empty model dir fetches YOLOX-Nano (here from a loopback
    server standing in for the release URL), then anonymizes; `--no-download` refuses instead."""
    from media_factory import make_clip

    from anon_core.cli.main import main

    monkeypatch.setenv("ANON_MODEL_URL_YOLOX_NANO", f"{server}/yolox_nano.onnx")
    clip = make_clip(tmp_path / "c.mp4", frames=3, size=(160, 120))
    args = ["video", str(clip), "-o", str(tmp_path / "o.mp4"), "--targets", "person", "--no-progress"]
    assert main(args + ["--no-download"]) == 2
    assert "anon models pull yolox-nano" in capsys.readouterr().err
    assert main(args) == 0
    assert sha256_file(empty_dir / "yolox_nano.onnx") == NANO_SHA256


def test_a_model_dir_that_is_a_file_is_named_as_such(tmp_path, monkeypatch):
    """ANON_MODEL_DIR pointing at a file used to end in `anon video: error: <path>: exists`."""
    not_a_dir = tmp_path / "models.txt"
    not_a_dir.write_text("x")
    monkeypatch.setenv("ANON_MODEL_DIR", str(not_a_dir))
    with pytest.raises(ModelUnavailableError, match="is a file, not a folder"):
        store.fetch("yolox-tiny", url="http://127.0.0.1:9/never.onnx", progress=False)
    assert not_a_dir.read_text() == "x"


@pytest.mark.parametrize("command", ["count", "track"])
def test_count_and_track_fetch_their_detector_on_first_use_too(server, empty_dir, monkeypatch, tmp_path, capsys,
                                                                command):
    """They only said `run anon models pull yolox-nano` (their --no-download did nothing): the CLI
    fetches a missing model on first use in every command (README, Models)."""
    from media_factory import make_clip

    from anon_core.cli.main import main

    monkeypatch.setenv("ANON_MODEL_URL_YOLOX_NANO", f"{server}/yolox_nano.onnx")
    clip = make_clip(tmp_path / "c.mp4", frames=2, size=(160, 120))
    args = [command, str(clip), "--json", str(tmp_path / "x.json"), "--no-progress"]
    assert main(args + ["--no-download"]) == 2
    assert "anon models pull yolox-nano" in capsys.readouterr().err
    assert main(args) == 0
    assert sha256_file(empty_dir / "yolox_nano.onnx") == NANO_SHA256
