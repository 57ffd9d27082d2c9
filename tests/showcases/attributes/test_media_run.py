"""A photo in memory (the page's upload or snapshot) goes through the engine's Pipeline as a still, with the
attributes analyzer inside it: the output is exactly what that Pipeline makes of the photo."""

from __future__ import annotations

import numpy as np
from conftest import load_person_image

from showcases.attributes.analysis import Analyzer
from showcases.attributes.media_run import RunConfig, attributes_pipeline, run_image


def test_photo_runs_through_the_pipeline_as_a_still(people, face_detector, estimator, embedder):
    image = load_person_image(people[6], "studio_portrait", max_side=480)
    analyzer = Analyzer(estimator, embedder)
    config = RunConfig(method="pixelate", methods=("pixelate",), overlay=False)
    run = run_image(image, face_detector, analyzer, config)
    expected = attributes_pipeline(face_detector, analyzer, "pixelate").process(image, still=True).frame
    np.testing.assert_array_equal(run.output, expected)
    assert not np.array_equal(run.output, image)
    assert [row["method"] for row in run.comparison.table()] == ["pixelate"]
    assert run.timeline[0]["faces"] == len(run.comparison.raw) == 1
    assert run.comparison.raw.sex[0] == "male"  # P007, estimated on the raw face inside the pipeline
    drawn = run_image(image, face_detector, analyzer, RunConfig(method="pixelate", methods=("pixelate",)))
    assert not np.array_equal(drawn.output, run.output)  # the estimates written on the anonymized photo
