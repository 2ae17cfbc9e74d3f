"""The torch port against the original OpenVINO IR, on the real embedded weights."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from weights import source_path

pytestmark = pytest.mark.real_weights

SEEDS = [0, 1, 2, 3, 7, 42, 1234, 99999]


@pytest.fixture(scope="module")
def openvino_models():
    ov = pytest.importorskip("openvino", reason="openvino is a test dependency: pip install -e '.[test]'")
    core = ov.Core()
    f32 = {"INFERENCE_PRECISION_HINT": "f32"}
    mapping = core.compile_model(
        core.read_model(str(source_path("mobilestylegan", "random_face/data/MappingNetwork.xml"))), "CPU", f32)
    synthesis = core.compile_model(
        core.read_model(str(source_path("mobilestylegan", "random_face/data/SynthesisNetwork.xml"))), "CPU", f32)
    return mapping, synthesis


def test_mapping_matches_openvino(face_generator, openvino_models):
    mapping, _ = openvino_models
    z = np.random.RandomState(5).randn(8, 512).astype(np.float32)
    ref = np.concatenate([mapping(z[i:i + 1])[0] for i in range(8)])
    ours = face_generator.mapping(torch.from_numpy(z)).numpy()
    assert np.abs(ours - ref).max() < 1e-4 * np.abs(ref).max()


def test_synthesis_matches_openvino_fp32_on_eight_latents(face_generator, openvino_models):
    _, synthesis = openvino_models
    w = face_generator.w_from_seeds(SEEDS, psi=0.7)
    ours = face_generator.synthesize(w).numpy()
    for i in range(len(SEEDS)):
        ref = synthesis(w[i:i + 1].numpy())[0]
        mae = np.abs(ours[i:i + 1] - ref).mean()
        assert mae <= 1e-5, f"seed {SEEDS[i]}: mean abs error {mae:.2e} against OpenVINO"
        assert ref.std() > 0.1  # a real image, not a blank one


def test_output_is_a_1024_face_in_image_range(face_generator):
    img = face_generator.synthesize(face_generator.w_from_seeds([7]))
    assert img.shape == (1, 3, 1024, 1024)
    assert -2.5 < img.min() < -0.5 and 0.5 < img.max() < 2.5
    # a face has structure at every scale: neighbouring pixels correlate, but the image is not flat
    assert img.std() > 0.2


def test_mean_w_is_cached_with_the_weights(face_generator):
    from weights import prepared_path

    assert (prepared_path("mobilestylegan") / "w_avg.safetensors").exists()
    # truncation psi=0 renders the mean face for any seed
    a = face_generator.w_from_seeds([1], psi=0.0)
    b = face_generator.w_from_seeds([2], psi=0.0)
    torch.testing.assert_close(a, b)
