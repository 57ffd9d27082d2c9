"""`anon attributes` on a real photo: JSON figures, anonymized output, errors that say how to fix them."""

from __future__ import annotations

import hashlib
import json

import cv2
import numpy as np

from anon_core.cli.main import main


def test_image_json_and_output(tmp_path, people, capsys):
    src = tmp_path / "portrait.jpg"
    img = cv2.imread(people[6].asset_path("studio_portrait"))
    cv2.imwrite(str(src), cv2.resize(img, (640, 640), interpolation=cv2.INTER_AREA))
    out, report, audit_path = tmp_path / "anon.png", tmp_path / "report.json", tmp_path / "audit.json"
    code = main(["attributes", str(src), "--method", "analyze-then-anonymize", "--method", "pixelate",
                 "--json", str(report), "-o", str(out), "--report", str(audit_path)])
    assert code == 0
    data = json.loads(report.read_text())
    assert [m["method"] for m in data["methods"]] == ["analyze-then-anonymize", "pixelate"]
    assert len(data["faces"]) == 1
    face = data["faces"][0]
    assert face["raw"]["sex"] == "male"  # P007
    assert face["methods"]["analyze-then-anonymize"]["reidentified"] is False
    assert abs(sum(face["raw"]["emotion_scores"].values()) - 1) < 0.02
    anon = cv2.imread(str(out))
    assert anon.shape == (640, 640, 3)
    centre = np.s_[250:390, 250:390]  # the face is filled: nothing of the raw face there
    assert np.abs(anon[centre].astype(int) - cv2.imread(str(src))[centre]).mean() > 30
    assert "re-id" in capsys.readouterr().out
    # the photo went through the job loop: the audit report of `anon image`, attributes under analytics
    audit = json.loads(audit_path.read_text())
    assert audit["kind"] == "image" and audit["summary"]["frames"] == 1
    assert audit["input"]["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert audit["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert audit["output"]["path"] == str(out)
    assert len(audit["frames"][0]["regions"]) == 1 and audit["analytics"]["attributes"]["faces"] == 1


def test_missing_input_says_what_to_give(tmp_path, capsys):
    code = main(["attributes", str(tmp_path / "nope.jpg"), "--json", str(tmp_path / "r.json")])
    assert code == 2
    assert "openpeople" in capsys.readouterr().err


def test_video_timeline_and_anonymized_output(tmp_path, capsys):
    """Analyze-then-anonymize on a clip: attributes come from the raw faces inside the pipeline, the
    written video has every frame and no face CenterFace can still find."""
    from anon_core.detectors import create_detector
    from anon_core.media import VideoReader, probe
    from anon_core.synth import ensure_sample

    sample = ensure_sample("faces", seed=2, seconds=1.0)
    out, report, audit_path = tmp_path / "anon.mp4", tmp_path / "report.json", tmp_path / "audit.json"
    code = main(["attributes", str(sample.video), "--method", "analyze-then-anonymize", "--json", str(report),
                 "-o", str(out), "--no-overlay", "--report", str(audit_path)])
    assert code == 0
    data = json.loads(report.read_text())
    frames = probe(sample.video).frame_count
    assert probe(out).frame_count == frames
    assert f"{frames}/{frames}" in capsys.readouterr().err  # the job's progress bar, with its total (was silent)
    assert len(data["timeline"]) == frames
    assert any(entry.get("faces") for entry in data["timeline"])
    detector = create_detector("centerface")
    with VideoReader(out) as reader:
        confident = [int((detector(f).scores >= 0.7).sum()) for f in reader.frames()]
    assert sum(confident) == 0
    # the same audit report as `anon video`: input and output sha256, per-frame regions, analytics summary
    audit = json.loads(audit_path.read_text())
    assert audit["schema"] == "anonymize-first/report/v1" and audit["kind"] == "video"
    assert audit["input"]["sha256"] == hashlib.sha256(sample.video.read_bytes()).hexdigest()
    assert audit["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert audit["output"]["path"] == str(out)
    assert audit["summary"]["frames"] == len(audit["frames"]) == frames
    assert sum(len(f["regions"]) for f in audit["frames"]) >= sum(e["faces"] for e in data["timeline"]) > 0
    assert audit["analytics"]["attributes"]["frames"] == frames


def test_report_needs_a_video_output(tmp_path, people, capsys):
    src = tmp_path / "portrait.jpg"
    cv2.imwrite(str(src), cv2.imread(people[6].asset_path("studio_portrait")))
    code = main(["attributes", str(src), "--json", str(tmp_path / "r.json"), "--report", str(tmp_path / "a.json")])
    assert code == 2 and "-o OUT" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["portrait.jpg"]
