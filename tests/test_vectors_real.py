"""The committed expression directions on the real generator: each control moves its own measured
attribute the right way on the persona's face."""
from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("mediapipe", reason="the face-mesh scorer is the `vectors` extra: pip install -e '.[vectors]'")

pytestmark = pytest.mark.real_weights


@pytest.fixture(scope="module")
def scorer():
    from render.vectors.scoring import FaceMeshScorer

    s = FaceMeshScorer()
    yield s
    s.close()


def test_each_control_moves_its_attribute_the_right_way_on_the_persona(face_generator, scorer):
    from render.directions import load_directions
    from render.images import to_uint8
    from weights.manifest import load_persona

    directions = load_directions()
    assert {"eyes", "mouth", "yaw"} <= set(directions.names)
    seed, psi = load_persona()
    w = face_generator.w_from_seeds([seed], psi)
    std = directions.meta["score_std"]
    for name in ("eyes", "mouth", "yaw"):
        lo, hi = directions.ranges[name]
        controls = torch.zeros(2, len(directions.names))
        controls[:, directions.index(name)] = torch.tensor([0.75 * lo, 0.75 * hi])
        images = face_generator.synthesize(directions.apply(w.expand(2, -1), controls))
        scores = scorer.scores(to_uint8(images, directions.meta.get("score_size", 256)))
        assert np.isfinite(scores[name]).all(), f"{name}: the face mesh lost the face"
        moved = (scores[name][1] - scores[name][0]) / std[name]
        assert moved > 1.0, f"{name}: the score moved by only {moved:+.2f} population stds"


def test_render_with_expression_flags_writes_a_changed_face(tmp_path, capsys):
    import cv2

    from realtime.cli import main

    assert main(["render", "--size", "128", "-o", str(tmp_path / "a.png")]) == 0
    assert main(["render", "--size", "128", "--mouth", "1", "--yaw", "-0.5", "-o", str(tmp_path / "b.png")]) == 0
    out = capsys.readouterr().out
    assert "persona" in out and "mouth +1" in out
    a, b = (cv2.imread(str(tmp_path / n)).astype(np.float32) for n in ("a.png", "b.png"))
    assert a.shape == (128, 128, 3) and np.abs(a - b).mean() > 2.0
