"""Consent list (--keep-faces): an enrolled openpeople person stays recognisable, everyone else,
including a look-alike of the same sex and age band, is anonymized on every frame."""

import json

import cv2
import numpy as np
import pytest

from anon_core.cli.main import main
from anon_core.consent import ConsentError, enrol_folder
from anon_core.groundtruth import CLASS_IDS
from anon_core.media import VideoReader, VideoWriter
from anon_core.metrics.leak import LEAK_NCC, detail_nccs
from anon_core.synth import backgrounds
from anon_core.synth.emotions import emotion_sprites
from anon_core.synth.people import asset_image, person_info
from anon_core.synth.render import Placement, SpriteScaler, compose

ENROLLED = "P001"  # female 35-45
LOOK_ALIKE = "P002"  # female 35-45 too
OTHER = "P007"  # male 25-35
FRAMES = 16


def enrol_dir(root, identities):
    """A consent folder: per person a subfolder with their selfie and studio portrait (shrunk)."""
    for identity in identities:
        d = root / identity
        d.mkdir(parents=True)
        for asset in ("amateur_selfie", "studio_portrait"):
            img = asset_image(identity, asset)
            f = 800 / max(img.shape[:2])
            cv2.imwrite(str(d / f"{asset}.jpg"), cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA))
    return root


def scene(identities, frames=FRAMES, swap=None):
    """Frames of emotion-sheet faces side by side (expressions change every 4 frames, faces sway), and
    per frame the face boxes (xyxy) by identity.  swap=(frame, slot, identity): from that frame on,
    the face in that slot is another person, at the same place (the tracker keeps its track)."""
    width, height = 960, 480
    bg = backgrounds.room(np.random.default_rng(3), width, height)
    scaler = SpriteScaler()
    sprites = {i: emotion_sprites(i) for i in set(identities) | ({swap[2]} if swap else set())}
    out = []
    for t in range(frames):
        placements, who = [], []
        for k, identity in enumerate(identities):
            if swap and k == swap[1] and t >= swap[0]:
                identity = swap[2]
            sprite = sprites[identity][(t // 4 + 3 * k) % 16]
            sc = scaler.get(sprite, 400)
            x = int((k + 0.5) * width / len(identities) - sc.on.shape[1] / 2 + 6 * np.sin(0.5 * t + k))
            placements.append(Placement(k + 1, CLASS_IDS["person"], sc, x, height - 400, depth=k,
                                        meta={"identity": identity}))
            who.append(identity)
        frame, truths = compose(bg, placements)
        faces = {}
        for tr in truths:
            fx, fy, fw, fh = tr.face
            faces[tr.meta["identity"]] = (fx, fy, fx + fw, fy + fh)
        out.append((frame, faces))
    return out


def write_clip(path, frames):
    with VideoWriter(path, 15.0) as w:
        for frame, _ in frames:
            w.write(frame)
    return path


def nccs_by_identity(raw_path, anon_path, frames):
    """Per identity, the detail NCC of its face on every frame (decoded input vs output)."""
    out: dict[str, list[float]] = {}
    with VideoReader(raw_path) as a, VideoReader(anon_path) as b:
        for (raw, anon), (_, faces) in zip(zip(a.frames(), b.frames()), frames):
            names = list(faces)
            for name, v in zip(names, detail_nccs(raw, anon, [faces[n] for n in names])):
                out.setdefault(name, []).append(float(v))
    return out


@pytest.fixture(scope="module")
def consent_dir(tmp_path_factory):
    return enrol_dir(tmp_path_factory.mktemp("consent"), [ENROLLED])


def test_enrolled_person_stays_visible_everyone_else_is_anonymized(consent_dir, tmp_path):
    frames = scene([LOOK_ALIKE, ENROLLED, OTHER])
    assert person_info(LOOK_ALIKE).sex == person_info(ENROLLED).sex
    assert person_info(LOOK_ALIKE).age_range == person_info(ENROLLED).age_range
    clip = write_clip(tmp_path / "scene.mp4", frames)
    out, rep = tmp_path / "anon.mp4", tmp_path / "r.json"
    rc = main(["video", str(clip), "-o", str(out), "--keep-faces", str(consent_dir), "--report", str(rep),
               "--detect-width", "640", "--no-progress"])
    assert rc == 0
    ncc = nccs_by_identity(clip, out, frames)
    kept = sum(v > LEAK_NCC for v in ncc[ENROLLED])
    print(f"consent: {ENROLLED} recognisable on {kept}/{FRAMES} frames; "
          f"leaks of others: {sum(v > LEAK_NCC for k in (LOOK_ALIKE, OTHER) for v in ncc[k])}/{2 * FRAMES}; "
          f"max NCC look-alike {max(ncc[LOOK_ALIKE]):.3f}, other {max(ncc[OTHER]):.3f}")
    assert kept == FRAMES, ncc[ENROLLED]
    assert max(ncc[LOOK_ALIKE]) < LEAK_NCC and max(ncc[OTHER]) < LEAK_NCC
    data = json.loads(rep.read_text())
    consent = data["pipeline"]["controls"]["consent"]
    assert len(consent["enrolled"]["sha256"]) == 64 and consent["enrolled"] == {
        "sha256": consent["enrolled"]["sha256"], "people": 1, "photos": 2}
    tracks = data["kept_tracks"]
    assert tracks and {t["person"] for t in tracks} == {ENROLLED}
    assert all(t["reason"] == "consent" and t["max_distance"] < consent["keep_distance"] for t in tracks)
    assert sum(t["frames"] for t in tracks) == FRAMES
    text = rep.read_text()
    assert "embedding\": [" not in text and len(text) < 200_000  # no embeddings, no photos


def test_consent_list_on_the_device_path(consent_dir, tmp_path):
    """--keep-faces on the batched device job (--device cpu-torch: the torch port on the CPU, as on a GPU):
    the same consent control decides, on the frames the job brings to the host for it."""
    n = 8
    frames = scene([LOOK_ALIKE, ENROLLED, OTHER], frames=n)
    clip = write_clip(tmp_path / "scene.mp4", frames)
    out, rep = tmp_path / "anon.mp4", tmp_path / "r.json"
    rc = main(["video", str(clip), "-o", str(out), "--keep-faces", str(consent_dir), "--report", str(rep),
               "--detect-width", "640", "--no-progress", "--device", "cpu-torch", "--batch", "4"])
    assert rc == 0
    ncc = nccs_by_identity(clip, out, frames)
    assert min(ncc[ENROLLED]) > LEAK_NCC, ncc[ENROLLED]  # recognisable on every frame
    assert max(ncc[LOOK_ALIKE]) < LEAK_NCC and max(ncc[OTHER]) < LEAK_NCC
    data = json.loads(rep.read_text())
    assert data["pipeline"]["engine"] == "gpu-i420" and "consent" in data["pipeline"]["controls"]
    tracks = data["kept_tracks"]
    assert {t["person"] for t in tracks} == {ENROLLED} and sum(t["frames"] for t in tracks) == n


def test_a_track_that_turns_into_someone_else_is_anonymized_again(tmp_path):
    """Both P001 and P002 consent, but the track that showed P001 shows P002 from frame 6 on (same place,
    same track): one confident match does not carry over to another face, the track is revoked."""
    consent = enrol_dir(tmp_path / "consent", [ENROLLED, LOOK_ALIKE])
    frames = scene([ENROLLED, OTHER], frames=12, swap=(6, 0, LOOK_ALIKE))
    clip = write_clip(tmp_path / "swap.mp4", frames)
    out, rep = tmp_path / "anon.mp4", tmp_path / "r.json"
    assert main(["video", str(clip), "-o", str(out), "--keep-faces", str(consent), "--report", str(rep),
                 "--detect-width", "640", "--no-progress"]) == 0
    ncc = nccs_by_identity(clip, out, frames)
    assert min(ncc[ENROLLED][:6]) > LEAK_NCC  # visible while it is P001
    assert max(ncc[LOOK_ALIKE]) < LEAK_NCC  # anonymized once the track shows someone else
    assert max(ncc[OTHER]) < LEAK_NCC
    tracks = json.loads(rep.read_text())["kept_tracks"]
    assert {t["person"] for t in tracks} == {ENROLLED} and max(t["last_frame"] for t in tracks) == 5


def test_enrolment_refuses_photos_without_exactly_one_face(tmp_path):
    d = tmp_path / "consent"
    d.mkdir()
    cv2.imwrite(str(d / "alice_wall.jpg"), np.full((200, 200, 3), 120, np.uint8))
    with pytest.raises(ConsentError, match="alice_wall.jpg shows 0 faces"):
        enrol_folder(d)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConsentError, match="holds no photos"):
        enrol_folder(tmp_path / "empty")
    assert main(["image", str(d / "alice_wall.jpg"), "-o", str(tmp_path / "o.png"), "--keep-faces", str(d)]) == 2


def test_image_with_a_policy_file_consent_list(consent_dir, tmp_path):
    """`anon image --policy` with `keep_faces:` relative to the policy file: same rule on one photo."""
    (frame, faces), = scene([ENROLLED, OTHER], frames=1)
    src, out = tmp_path / "photo.png", tmp_path / "out.png"
    cv2.imwrite(str(src), frame)
    (tmp_path / "consent").symlink_to(consent_dir)
    policy = tmp_path / "policy.yaml"
    policy.write_text("face: {method: pixelate}\nkeep_faces: consent\n")
    assert main(["image", str(src), "-o", str(out), "--policy", str(policy)]) == 0
    anon = cv2.imread(str(out))
    ncc = dict(zip(faces, detail_nccs(frame, anon, list(faces.values()))))
    assert ncc[ENROLLED] > LEAK_NCC and ncc[OTHER] < LEAK_NCC
