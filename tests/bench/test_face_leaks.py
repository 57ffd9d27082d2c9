"""Faces in the wild (issue #13): WIDER ground truth reader, the leak bench and the default pipeline's
leak rate and collateral on ../shared/data/wider_dev (120 real photos, 538 faces >= 16 px).

Measured when written (default pipeline: CenterFace threshold 0.1 + mirrored view + large-box gate):
all 120 photos 5 leaks of 538 (0.9 %), collateral 0.39 %; every 4th photo (30 photos, 131 faces,
the default run) 2 leaks, collateral 0.31 %.  Goals: <= 1 % leaks (5 faces), collateral <= 0.5 %.
"""

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from anon_core.bench.faces import pipeline_anonymizer, run_leak_row
from anon_core.bench.wider import WiderFormatError, load_wider, parse_wider
from anon_core.pipeline import PipelineConfig

GT = """a/one.jpg
2
10 20 30 40 0 0 0 0 0 0
5 5 8 9 2 0 0 1 2 1
a/none.jpg
0
0 0 0 0 0 0 0 0 0 0
a/last.jpg
1
1 2 3 4 1 0 0 0 1 0
"""


def test_parse_wider_layout_with_an_empty_image(tmp_path):
    images = parse_wider(GT, tmp_path / "images")
    assert [im.path.name for im in images] == ["one.jpg", "none.jpg", "last.jpg"]
    np.testing.assert_array_equal(images[0].xyxy, [[10, 20, 40, 60], [5, 5, 13, 14]])
    assert images[0].valid.tolist() == [True, False]
    assert images[0].attrs[1].tolist() == [2, 0, 0, 1, 2, 1]
    assert images[1].xyxy.shape == (0, 4) and images[2].widths.tolist() == [3]


@pytest.mark.parametrize("text,match", [("a.jpg\nx\n", "face count"), ("a.jpg\n2\n1 2 3 4 0 0 0 0 0 0\n", "ends"),
                                        ("a.jpg\n1\n1 2 3\n", "10 numbers")])
def test_parse_wider_rejects_broken_files(tmp_path, text, match):
    with pytest.raises(WiderFormatError, match=match):
        parse_wider(text, tmp_path)


@pytest.fixture(scope="module")
def wider(shared_dir):
    path = shared_dir / "data" / "wider_dev"
    if not path.is_dir():
        pytest.skip(f"{path} not present")
    return path


def test_wider_dev_counts(wider):
    images = load_wider(wider)
    assert len(images) == 120
    assert sum(len(im.xyxy) for im in images) == 989
    assert sum(int((im.valid & (im.widths >= 16)).sum()) for im in images) == 538


def _leaks(images):
    fn, settings = pipeline_anonymizer(PipelineConfig())
    return run_leak_row("defaults", fn, images, settings)


def test_default_pipeline_leaks_on_a_quarter_of_wider_dev(wider):
    row = _leaks(load_wider(wider)[::4])  # 30 photos, 131 faces: crowds, sports, small and turned faces
    assert row["faces"] == 131
    assert row["leaks"] <= 3, row["leaked"]  # measured 2
    assert row["collateral"] <= 0.004  # measured 0.31 %


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("ANON_FULL_WIDER") != "1",
                    reason="all 120 photos take ~4 min on 2 busy cores; run with ANON_FULL_WIDER=1 "
                    "(the default run keeps every 4th photo above)")
def test_default_pipeline_meets_the_goal_on_all_of_wider_dev(wider):
    row = _leaks(load_wider(wider))
    assert row["faces"] == 538
    assert row["leaks"] <= 5, row["leaked"]  # goal <= 1 %; measured 5
    assert row["collateral"] <= 0.0045  # goal 0.5 %; measured 0.39 %
    assert row["buckets"]["64+"]["leaks"] == 0


def test_bench_command_prints_the_leak_table_with_a_deface_row(wider, tmp_path):
    root = tmp_path / "wider3"
    images = load_wider(wider)[:3]
    lines = []
    for im in images:
        rel = im.path.relative_to(wider / "images")
        (root / "images" / rel.parent).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(im.path, root / "images" / rel)
        x, y, w, h = (np.c_[im.xyxy[:, :2], im.xyxy[:, 2:] - im.xyxy[:, :2]]).T
        lines += [str(rel), str(len(im.xyxy))] + [" ".join(str(int(v)) for v in (*b, *a))
                                                  for b, a in zip(np.c_[x, y, w, h], im.attrs)]
    (root / "gt").mkdir()
    (root / "gt" / "wider_face_val_bbx_gt.txt").write_text("\n".join(lines) + "\n")
    out = subprocess.run([sys.executable, "-m", "anon_core", "bench", "--target", "face", "--gt-dir", str(root),
                          "--thresholds", "0.4", "--json", str(tmp_path / "r.json")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    table = out.stdout
    assert "| anon defaults |" in table and "| anon defaults, threshold 0.4 |" in table
    assert "| deface (its defaults) |" in table and "collateral" in table
    assert (tmp_path / "r.json").is_file()
