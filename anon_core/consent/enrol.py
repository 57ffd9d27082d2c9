"""Enrolment of a consent list folder: one or more photos per consenting person.

Layout (both may be mixed in one folder):

    consent/alice/1.jpg, consent/alice/2.png     a subfolder per person (the folder name is the person)
    consent/bob_office.jpg, consent/bob.jpg       files directly in the folder: the name up to the
                                                   first "_" is the person

Each photo must show exactly one face (CenterFace at native resolution, photos shrunk to at most
MAX_SIDE px); a photo with no face or with several is refused with its name, so a bystander in an
enrolment photo is never enrolled by accident.  The embeddings stay in memory; the report carries only
the set's hash (sha256 over the sorted person names and photo sha256s) and the number of people and
photos.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from anon_core.consent.embedding import FaceEmbedder
from anon_core.detectors import create_detector
from anon_core.media import MediaError, read_image
from anon_core.media.images import IMAGE_SUFFIXES
from anon_core.models.checksums import sha256_file

MAX_SIDE = 1024  # enrolment photos are shrunk to this (CenterFace at native size; faces stay >= 100 px)
MIN_FACE_SCORE = 0.5


class ConsentError(ValueError):
    pass


@dataclass(frozen=True, eq=False)
class Enrolment:
    names: tuple[str, ...]  # one per person, sorted
    embeddings: tuple[np.ndarray, ...]  # per person: (k, 128) float32, k = that person's photos
    digest: str  # sha256 of the enrolled set (names + photo checksums), for the report
    photos: int

    def distances(self, emb: np.ndarray) -> np.ndarray:
        """(N, P) distance of N embeddings to each person (the nearest of that person's photos)."""
        emb = np.asarray(emb, np.float32).reshape(-1, 128)
        out = np.full((len(emb), len(self.names)), np.inf, np.float32)
        for j, person in enumerate(self.embeddings):
            out[:, j] = np.linalg.norm(emb[:, None, :] - person[None], axis=2).min(1)
        return out

    def describe(self) -> dict:
        return {"sha256": self.digest, "people": len(self.names), "photos": self.photos}


def photos_by_person(folder: Path) -> dict[str, list[Path]]:
    """{person: [photo paths]} of a consent folder (layout in the module doc)."""
    if not folder.is_dir():
        raise ConsentError(f"consent folder {folder} does not exist or is not a folder")
    out: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir():
            files = [f for f in sorted(path.iterdir()) if f.suffix.lower() in IMAGE_SUFFIXES]
            if files:
                out.setdefault(path.name, []).extend(files)
        elif path.suffix.lower() in IMAGE_SUFFIXES:
            out.setdefault(path.stem.split("_")[0], []).append(path)
    if not out:
        raise ConsentError(f"consent folder {folder} holds no photos (one subfolder per person, or "
                           f"files named PERSON_*.jpg; types: {', '.join(sorted(IMAGE_SUFFIXES))})")
    return out


def enrol_folder(folder: str | Path, detector=None, embedder: FaceEmbedder | None = None) -> Enrolment:
    """Embed every photo of a consent folder (exactly one face each)."""
    folder = Path(folder)
    people = photos_by_person(folder)
    if detector is None:
        detector = create_detector("centerface", input_width=None)
    embedder = embedder or FaceEmbedder()
    names, embeddings, digest = [], [], hashlib.sha256()
    count = 0
    for name, paths in sorted(people.items()):
        rows = []
        for path in paths:
            try:
                img = read_image(path)
            except MediaError as exc:
                raise ConsentError(f"consent photo {path}: {exc}") from None
            scale = min(1.0, MAX_SIDE / max(img.shape[:2]))
            if scale < 1:
                img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            faces = detector(img)
            faces = faces[(faces.labels == "face") & (faces.scores >= MIN_FACE_SCORE)]
            if len(faces) != 1:
                raise ConsentError(f"consent photo {path} shows {len(faces)} faces; each photo must show exactly "
                                   "one face (the consenting person's)")
            rows.append(embedder(img, faces)[0])
            digest.update(f"{name}\0{sha256_file(path)}\n".encode())
            count += 1
        names.append(name)
        embeddings.append(np.stack(rows).astype(np.float32))
    return Enrolment(tuple(names), tuple(embeddings), digest.hexdigest(), count)


def enrol_folder_cached(folder: str | Path) -> Enrolment:
    """enrol_folder, remembered per folder while its photos (paths, sizes, mtimes) stay the same: the app
    builds a pipeline on every rerun, and enrolling costs a CenterFace and a dlib run per photo."""
    folder = Path(folder).resolve()
    people = photos_by_person(folder)
    stamp = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for paths in people.values() for p in paths)
    return _enrol_cached(str(folder), stamp)


@functools.lru_cache(maxsize=4)
def _enrol_cached(folder: str, stamp: tuple) -> Enrolment:
    return enrol_folder(folder)
