import json

import numpy as np
import pytest

from anon_core.anonymize import Policy, PolicyError
from anon_core.detections import Detections


def frame():
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (200, 300, 3), dtype=np.uint8)


DETS = Detections([[10, 10, 110, 190], [30, 20, 70, 60], [200, 50, 280, 150]], [0.9, 0.9, 0.9],
                  ["person", "face", "car"])


def test_yaml_policy_applies_per_target_and_leaves_other_labels(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("face: {method: fill, shape: box, padding: 0, colour: [0, 255, 0]}\n"
                    "person: {method: pixelate, shape: box, padding: 0}\n")
    policy = Policy.from_file(path)
    assert policy.targets == ("person", "face")  # persons first, faces drawn on top
    img = frame()
    out = policy.apply(img, DETS)
    assert (out[20:60, 30:70] == [0, 255, 0]).all()  # face filled on top of the pixelated person
    assert not np.array_equal(out[100:190, 10:110], img[100:190, 10:110])  # person pixelated
    assert np.array_equal(out[50:150, 200:280], img[50:150, 200:280])  # car untouched


def test_json_policy_and_round_trip(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"face": "pixelate"}))
    policy = Policy.from_file(path)
    assert policy.to_dict()["face"]["method"] == "pixelate"


@pytest.mark.parametrize("text,match", [
    ("face: {method: smudge}", "unknown method"),
    ("face: {method: blur, shape: star}", "bad options"),
    ("- face\n- person", "mapping"),
    ("face: [unclosed", "not valid YAML"),
    ("{}", "at least one target"),
])
def test_bad_policies_have_clear_errors(text, match):
    with pytest.raises(PolicyError, match=match):
        Policy.from_text(text, ".yaml")


def test_missing_policy_file(tmp_path):
    with pytest.raises(PolicyError, match="cannot read policy file"):
        Policy.from_file(tmp_path / "nope.yaml")


def test_region_defaults_are_per_target_and_explicit_values_win():
    from anon_core.pipeline import PipelineConfig

    both = ("face", "person")
    d = PipelineConfig(targets=both).build_policy().to_dict()
    assert (d["face"]["shape"], d["face"]["padding"]) == ("ellipse", 0.3)
    assert (d["person"]["shape"], d["person"]["padding"]) == ("box", 0.2)
    d = PipelineConfig(targets=both, shape="ellipse", padding=0.1).build_policy().to_dict()
    assert all((d[t]["shape"], d[t]["padding"]) == ("ellipse", 0.1) for t in both)
    # a policy file's rule wins where it names a value; what it leaves out is the target's default
    d = Policy.from_dict({"person": {"method": "blur", "padding": 0.5}, "face": {"method": "pixelate", "shape": "box"}})
    d = d.to_dict()
    assert (d["person"]["shape"], d["person"]["padding"]) == ("box", 0.5)
    assert (d["face"]["shape"], d["face"]["padding"]) == ("box", 0.3)


def test_cli_leaves_shape_and_padding_to_the_target():
    import argparse

    from anon_core.cli.options import add_pipeline_options, config_from_args

    p = argparse.ArgumentParser()
    add_pipeline_options(p)
    config = config_from_args(p.parse_args(["--targets", "face,person"]))
    assert config.region("person") == {"shape": "box", "padding": 0.2}
    assert config.region("face") == {"shape": "ellipse", "padding": 0.3}
    config = config_from_args(p.parse_args(["--targets", "person", "--shape", "ellipse", "--padding", "0.4"]))
    assert config.region("person") == {"shape": "ellipse", "padding": 0.4}


@pytest.mark.parametrize(("text", "suffix", "message"), [
    ("face: {method: blur\n", ".yaml", "expected ',' or '}', but got '<stream end>' at line 2, column 1"),
    (": : :\n", ".yaml", "at line 1, column 1"),
    ('{"face": {"method": "blur"', ".json", "Expecting ',' delimiter"),
    ("face: {method: blur, shap: box}\n", ".yaml", "unknown option 'shap' for 'blur'"),
])
def test_a_bad_policy_file_is_one_line_that_says_where(text, suffix, message):
    """YAML errors spanned 4-8 lines; a misspelt key named RegionStyle.__init__()."""
    with pytest.raises(PolicyError) as exc:
        Policy.from_text(text, suffix)
    assert message in str(exc.value) and "\n" not in str(exc.value) and "__init__" not in str(exc.value)


def test_a_policy_without_face_or_person_says_so(tmp_path, capsys):
    from anon_core.cli.main import main

    policy = tmp_path / "p.yaml"
    policy.write_text("car: {method: blur}\n")
    assert main(["image", str(tmp_path / "x.jpg"), "-o", str(tmp_path / "y.jpg"), "--policy", str(policy)]) == 2
    assert "has no face or person rule (it names car)" in capsys.readouterr().err
