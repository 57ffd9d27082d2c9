"""What `anon batch` works on and where it may write: folder walks, globs, list files, several inputs,
mirrored output names, and the OUT_DIR rules (no models involved: fast)."""

from __future__ import annotations

import pytest

from anon_core.batch.discovery import DiscoveryError, discover
from anon_core.batch.outputs import UnsafeOutput, check_out_dir, sweep_temps


@pytest.fixture()
def tree(tmp_path):
    root = tmp_path / "in"
    for rel in ("a/p.jpg", "a/b/c.mov", "a/b/c.mp4", "a/b/d.avi", "x.PNG", "notes.txt", ".hidden.jpg",
                ".cache/q.jpg", "a/b/e.MP4"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x" * 10)
    return root


def _outs(found, out):
    return {i.rel: i.dst[len(str(out)) + 1:] for i in found.items}


def test_folder_walk_mirrors_the_tree(tree, tmp_path):
    out = tmp_path / "out"
    found = discover(str(tree), out)
    assert found.root == tree.resolve() and found.ignored == 1  # notes.txt; hidden files/folders skipped
    assert _outs(found, out.resolve()) == {
        "a/p.jpg": "a/p.jpg", "x.PNG": "x.PNG", "a/b/d.avi": "a/b/d.mp4", "a/b/e.MP4": "a/b/e.MP4",
        "a/b/c.mov": "a/b/c.mov.mp4", "a/b/c.mp4": "a/b/c.mp4"}  # c.mov and c.mp4 would collide as c.mp4
    kinds = {i.rel: i.kind for i in found.items}
    assert kinds["a/p.jpg"] == "image" and kinds["a/b/c.mov"] == "video"
    assert all(i.report == i.dst + ".report.json" for i in found.items)


def test_glob_list_file_and_several_inputs(tree, tmp_path):
    out = tmp_path / "out"
    found = discover(f"{tree}/**/*.mp4", out)
    assert found.root == (tree / "a" / "b").resolve() and sorted(i.rel for i in found.items) == ["c.mp4"]
    listing = tmp_path / "files.txt"
    listing.write_text(f"# two files\nin/a/p.jpg\n\n{tree / 'notes.txt'}\n")
    found = discover(str(listing), out)
    assert found.root == tree.resolve()
    assert {i.rel: i.kind for i in found.items} == {"a/p.jpg": "image", "notes.txt": "unknown"}  # recorded failed
    found = discover([str(tree / "a" / "b" / "c.mov"), str(tree / "x.PNG")], out)  # a glob the shell expanded
    assert found.root == tree.resolve() and sorted(i.rel for i in found.items) == ["a/b/c.mov", "x.PNG"]
    listing.write_text("in/a/missing.jpg\n")
    with pytest.raises(DiscoveryError, match="not files"):
        discover(str(listing), out)
    with pytest.raises(DiscoveryError, match="matches no files"):
        discover(f"{tree}/*.webm", out)
    (tree / "docs").mkdir()
    (tree / "docs" / "readme.md").write_text("no media here")
    with pytest.raises(DiscoveryError, match="no photos or videos"):
        discover(str(tree / "docs"), out)


def test_out_dir_rules(tree, tmp_path):
    found = discover(str(tree), tmp_path / "out")
    link = tmp_path / "sneaky"
    link.symlink_to(tree / "a")  # OUT_DIR given through a symlink into the input tree
    with pytest.raises(UnsafeOutput, match="inside the input tree"):
        check_out_dir(found.root, link, found.items, has_manifest=False)
    with pytest.raises(UnsafeOutput, match="inside OUT_DIR"):
        check_out_dir(found.root, tmp_path, found.items, has_manifest=False)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "theirs.jpg").write_bytes(b"x")
    with pytest.raises(UnsafeOutput, match="not empty"):
        check_out_dir(found.root, busy, found.items, has_manifest=False)
    check_out_dir(found.root, busy, found.items, has_manifest=True)  # an earlier batch's OUT_DIR
    check_out_dir(found.root, tmp_path / "new", found.items, has_manifest=False)


def test_sweep_removes_only_temps_of_planned_outputs(tree, tmp_path):
    out = tmp_path / "out"
    found = discover(str(tree), out)
    folder = out.resolve() / "a" / "b"
    folder.mkdir(parents=True)
    temps = [".c.ab12.part.mp4", "..c.ab12.part.cd34.part.mp4", ".c.mp4.report.ef56.part.json"]
    keep = ["c.mp4", ".other.ab12.part.mp4", "c.mp4.report.json"]
    for name in temps + keep:
        (folder / name).write_bytes(b"x")
    assert sweep_temps(found.items) == len(temps)
    assert sorted(p.name for p in folder.iterdir()) == sorted(keep)
