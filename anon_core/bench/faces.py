"""`anon bench --target face` on a WIDER-layout photo folder: faces left recognisable (model-free leak
metric, anon_core.metrics.leak) and collateral, per pipeline setting, next to `deface` run by the
same command on the same photos.

Each of our rows runs the product path of `anon image` (read with EXIF applied, Pipeline.process,
JPEG quality 92 as written by `anon image`); the deface row runs the `deface` command line on copies
of the photos and reads what it wrote.  Scored: faces at least 16 px wide not flagged invalid;
every annotated face (scored or not) is excluded from the collateral area.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from anon_core.bench.methods import DefaceMethod
from anon_core.bench.runner import hardware
from anon_core.bench.wider import WiderImage, load_wider
from anon_core.detectors import create_detector
from anon_core.media.images import encode_image, read_image
from anon_core.metrics.leak import MIN_FACE_WIDTH, SIZE_BUCKETS, LeakCounts, leak_report
from anon_core.pipeline import Pipeline, PipelineConfig, detector_options

# Anonymize photos (their files and decoded BGR frames) -> the output frames (same order and shapes).
Anonymize = Callable[[list[Path], list[np.ndarray]], Iterable[np.ndarray]]


@dataclass
class LeakRow:
    name: str
    counts: LeakCounts = field(default_factory=LeakCounts)
    changed: int = 0
    pixels: int = 0
    seconds: float = 0.0
    images: int = 0
    leaked: list = field(default_factory=list)  # [image name, face index, width, ncc]
    settings: dict = field(default_factory=dict)

    def add(self, image: WiderImage, rep: dict) -> None:
        self.images += 1
        self.counts.merge(rep)
        self.changed += rep["collateral_changed"]
        self.pixels += rep["collateral_pixels"]
        for k, lk in enumerate(rep["leaked"]):
            if lk:
                self.leaked.append([image.path.parent.name + "/" + image.path.name, k,
                                    round(float(image.widths[k]), 1), round(rep["ncc"][k], 3)])

    def summary(self) -> dict:
        return {"name": self.name, **self.counts.to_dict(),
                "collateral": self.changed / self.pixels if self.pixels else 0.0,
                "seconds_per_image": self.seconds / self.images if self.images else None,
                "settings": self.settings, "leaked": self.leaked}


def scored_mask(image: WiderImage) -> np.ndarray:
    return image.valid & (image.widths >= MIN_FACE_WIDTH)


def read_photo(path: Path) -> np.ndarray:
    return read_image(path)


def as_written(frame: np.ndarray) -> np.ndarray:
    """The pixels `anon image` writes to a .jpg (quality 92)."""
    return cv2.imdecode(np.frombuffer(encode_image(frame, ".jpg"), np.uint8), cv2.IMREAD_COLOR)


def pipeline_anonymizer(config, device: str = "cpu") -> tuple[Anonymize, dict]:
    """Photos through a fresh Pipeline state each (unrelated images), as `anon image` does;
    device "cuda" (or "cpu-torch" to test it without a GPU) uses the torch face detector."""
    detectors = None
    if device != "cpu":  # the torch port from the registry, with the config's detector options

        options = detector_options(config, config.face_detector) | {"device": device}
        detectors = {"face": create_detector(config.face_detector, **options)}
    pipe = Pipeline(config, detectors=detectors)

    def run(paths: list[Path], frames: list[np.ndarray]) -> Iterator[np.ndarray]:
        for frame in frames:
            pipe.reset()
            res = pipe.process(frame)
            if res.error:
                raise RuntimeError(f"pipeline failed on a photo: {res.error}")
            yield as_written(res.frame)

    return run, pipe.describe()


def deface_anonymizer(extra_args: tuple[str, ...] = ()) -> tuple[Anonymize, dict]:
    """The `deface` command line (its defaults unless extra_args) over copies of the photos."""
    from importlib.metadata import version

    def run(paths: list[Path], frames: list[np.ndarray]) -> Iterator[np.ndarray]:
        with tempfile.TemporaryDirectory(prefix="anon-bench-deface-") as tmp:
            src = Path(tmp)
            names = [f"{i:06d}{p.suffix.lower()}" for i, p in enumerate(paths)]  # the files a user would give it
            for name, path in zip(names, paths):
                shutil.copyfile(path, src / name)
            cmd = [*DefaceMethod.command(), *extra_args, str(src)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"deface failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
            outs = [cv2.imread(str(src / (Path(n).stem + "_anonymized" + Path(n).suffix))) for n in names]
        if any(o is None for o in outs):
            raise RuntimeError("deface wrote no output for some photos; run it by hand to see why")
        yield from outs

    return run, {"tool": "deface", "version": version("deface"), "args": list(extra_args)}


def run_leak_row(name: str, anonymize: Anonymize, images: list[WiderImage], settings: dict,
                 batch: int = 16, progress: Callable[[str], None] | None = None) -> dict:
    """Anonymize every photo (in batches, to bound memory) and score leaks and collateral."""
    row = LeakRow(name, settings=settings)
    for start in range(0, len(images), batch):
        chunk = images[start:start + batch]
        raws = [read_photo(im.path) for im in chunk]
        t0 = time.perf_counter()
        outs = list(anonymize([im.path for im in chunk], raws))
        row.seconds += time.perf_counter() - t0
        for im, raw, out in zip(chunk, raws, outs):
            row.add(im, leak_report(raw, out, im.xyxy, scored=scored_mask(im)))
        if progress:
            progress(f"{name}: {min(start + batch, len(images))}/{len(images)} photos, {row.counts.leaks} leaks")
    return row.summary()


def run_face_leaks(gt_dir: Path, rows: list[tuple[str, Anonymize, dict]], max_images: int | None = None,
                   progress: Callable[[str], None] | None = None) -> dict:
    images = load_wider(gt_dir)[:max_images] if max_images else load_wider(gt_dir)
    results = [run_leak_row(name, fn, images, settings, progress=progress) for name, fn, settings in rows]
    return {"dataset": {"path": str(gt_dir), "name": Path(gt_dir).name, "target": "face", "images": len(images),
                        "faces_scored": int(sum(scored_mask(im).sum() for im in images)),
                        "faces_annotated": int(sum(len(im.xyxy) for im in images))},
            "metric": "leak: high-pass NCC of the inner 60 % of the face box > 0.5; collateral: pixels away from "
                      "faces changed by > 25 after a sigma-1 blur (anon_core/metrics/leak.py)",
            "hardware": hardware("cpu"), "rows": results, "created": time.strftime("%Y-%m-%dT%H:%M:%S")}


def leak_markdown(result: dict, command: str | None = None) -> str:
    ds = result["dataset"]
    heads = ["Detector / setting", "leaks", "leak rate"] + [f"{n} px" for n, _, _ in SIZE_BUCKETS] + [
        "collateral", "s/photo"]
    lines = [f"### anon bench: faces left recognisable, {ds['name']} ({ds['images']} photos, "
             f"{ds['faces_scored']} faces >= {MIN_FACE_WIDTH} px scored)", "",
             "| " + " | ".join(heads) + " |", "|---|" + "---:|" * (len(heads) - 1)]
    for r in result["rows"]:
        buckets = [f"{b['leaks']} / {b['faces']}" for b in r["buckets"].values()]
        rate = "–" if r["leak_rate"] is None else f"{100 * r['leak_rate']:.1f} %"
        secs = "–" if r["seconds_per_image"] is None else f"{r['seconds_per_image']:.2f}"
        lines.append(f"| {r['name']} | {r['leaks']} | {rate} | " + " | ".join(buckets)
                     + f" | {100 * r['collateral']:.2f} % | {secs} |")
    lines += ["", "Leak: a face whose fine detail survives (high-pass NCC > 0.5 on the inner 60 % of its box); "
              "collateral: share of pixels away from every face that changed."]
    if command:
        lines.append(f"Command: `{command}`")
    return "\n".join(lines) + "\n"


def leak_rows(models: tuple[str, ...] | None, thresholds: tuple[float, ...] | None, device: str = "cpu",
              deface: bool = True) -> list[tuple[str, Anonymize, dict]]:
    """The table's rows: the `anon image` defaults, each face detector / threshold asked for, deface."""
    configs = [("anon defaults", PipelineConfig())]
    for name in models or ():
        for t in thresholds or (None,):
            label = name + ("" if t is None else f" threshold {t}")
            configs.append((label, PipelineConfig(face_detector=name, threshold=t)))
    if not models:
        configs += [(f"anon defaults, threshold {t}", PipelineConfig(threshold=t)) for t in thresholds or ()]
    rows = []
    for label, config in configs:
        fn, settings = pipeline_anonymizer(config, device)
        rows.append((label + ("" if device == "cpu" else f" ({device})"), fn, settings))
    if deface:
        rows.append(("deface (its defaults)", *deface_anonymizer()))
    return rows
