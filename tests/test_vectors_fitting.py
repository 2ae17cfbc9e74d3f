"""Fitting expression directions on synthetic data with known answers, and the scoring geometry."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from render.vectors.evaluation import pearson_rows, procrustes_residual, slope_rows
from render.vectors.fitting import (UNIT_SIGMAS, condition_on_others, decoupled_vectors, fit_directions,
                                    fit_ridge_direction, fit_svm_direction, population_sigma)
from render.vectors.scoring import _ACROSS, scores_from_landmarks


def _latents(n: int = 3000, dim: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scales = rng.uniform(0.5, 2.0, dim)  # an anisotropic population, like w
    w = rng.standard_normal((n, dim)) * scales + rng.standard_normal(dim)
    d = rng.standard_normal(dim)
    return w, d / np.linalg.norm(d)


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_svm_recovers_a_known_direction():
    w, d = _latents()
    score = (w - w.mean(0)) @ d + 0.05 * np.random.default_rng(1).standard_normal(len(w))
    assert _cos(fit_svm_direction(w, score), d) > 0.9


def test_ridge_recovers_a_direction_through_a_saturating_score():
    # like the mouth gap: every "closed" face scores the same, only the open half varies
    w, d = _latents(seed=2)
    score = np.maximum(0.0, (w - w.mean(0)) @ d)
    assert (score == 0).mean() > 0.4
    assert _cos(fit_ridge_direction(w, score), d) > 0.9


def test_fit_ignores_faces_without_a_score():
    w, d = _latents(seed=3)
    score = (w - w.mean(0)) @ d
    score[::7] = np.nan
    assert _cos(fit_svm_direction(w, score), d) > 0.9


def test_a_constant_score_is_a_clear_error():
    w, _ = _latents(n=200)
    with pytest.raises(ValueError, match="barely varies"):
        fit_svm_direction(w, np.ones(len(w)))


def test_conditioning_removes_the_other_directions_and_keeps_the_sign():
    rng = np.random.default_rng(4)
    dirs = rng.standard_normal((3, 32))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    d0 = condition_on_others(dirs, 0)
    assert np.allclose(dirs[1:] @ d0, 0, atol=1e-9)
    assert d0 @ dirs[0] > 0 and np.isclose(np.linalg.norm(d0), 1)


def test_fitted_vectors_are_scaled_to_population_sigmas_and_point_up_the_score():
    w, d = _latents(seed=5)
    other = np.random.default_rng(6).standard_normal(w.shape[1])
    scores = {"eyes": (w - w.mean(0)) @ d, "yaw": (w - w.mean(0)) @ other}
    vectors, sigmas = fit_directions(w, scores, ("eyes",), "svm", conditional=True)
    v = vectors[0].astype(np.float64)
    assert np.isclose(np.linalg.norm(v), UNIT_SIGMAS * population_sigma(w, v / np.linalg.norm(v)), rtol=1e-4)
    assert v @ d > 0  # a positive control raises the score
    with pytest.raises(ValueError, match="no score for control"):
        fit_directions(w, scores, ("mouth",))


def test_decoupling_cancels_measured_cross_effects():
    # scores are linear in w (rows of B); the raw directions leak into each other's scores
    rng = np.random.default_rng(7)
    dim, s = 48, 4
    b = rng.standard_normal((s, dim))
    raw = rng.standard_normal((s, dim))
    effects = b @ raw.T  # effects[i, j]: change of score i per unit of raw direction j
    assert np.abs(effects - np.diag(np.diag(effects))).max() > 0.2
    mixed = decoupled_vectors(raw, effects, [0, 2], ridge=1e-9)
    moved = b @ mixed.T  # [score, control]
    assert np.allclose(moved[[1, 2, 3], 0], 0, atol=1e-6) and np.isclose(moved[0, 0], effects[0, 0])
    assert np.allclose(moved[[0, 1, 3], 1], 0, atol=1e-6) and np.isclose(moved[2, 1], effects[2, 2])


def _face_like_landmarks(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lm = rng.uniform(-0.3, 0.3, (468, 3))
    for a, b in _ACROSS:  # symmetric pairs across the face, as on a real frontal face
        lm[a, 0] = -abs(lm[a, 0]) - 0.05  # a on the image left, b its mirror on the right
        lm[b] = lm[a] * [-1, 1, 1]
    return lm


@pytest.mark.parametrize("degrees", [-30.0, -10.0, 0.0, 20.0])
def test_yaw_reads_a_rotation_about_the_vertical_axis(degrees):
    lm = _face_like_landmarks()
    t = np.radians(degrees)
    rot = np.array([[np.cos(t), 0, np.sin(t)], [0, 1, 0], [-np.sin(t), 0, np.cos(t)]])
    base = scores_from_landmarks(lm)["yaw"]
    turned = scores_from_landmarks(lm @ rot.T)["yaw"]
    assert abs(base) < 1e-6
    assert abs(abs(turned) - abs(degrees)) < 1e-6 and np.sign(turned) == np.sign(degrees)
    # eye and mouth ratios are 3D distances: a turned head does not change them
    assert np.isclose(scores_from_landmarks(lm @ rot.T)["eyes"], scores_from_landmarks(lm)["eyes"])


def test_mouth_score_keeps_moving_with_closed_lips_and_ignores_face_size():
    lm = _face_like_landmarks(2)
    for upper, lower in ((82, 87), (13, 14), (312, 317)):  # closed lips: no inner gap
        lm[lower] = lm[upper]
    lm[0, 1], lm[17, 1] = lm[13, 1] - 0.04, lm[13, 1] + 0.04  # outer lip contour around the closed lips
    closed = scores_from_landmarks(lm)
    pressed = lm.copy()
    pressed[0, 1], pressed[17, 1] = lm[13, 1] - 0.02, lm[13, 1] + 0.02  # thinner, pressed lips
    thin = scores_from_landmarks(pressed)
    assert closed["lip_gap"] == 0 and thin["lip_gap"] == 0  # the old score cannot see the difference
    assert thin["mouth"] < closed["mouth"]
    assert np.isclose(scores_from_landmarks(2.5 * lm)["mouth"], closed["mouth"])


def test_scores_keep_missing_faces_missing():
    lm = np.stack([_face_like_landmarks(), np.full((468, 3), np.nan)])
    s = scores_from_landmarks(lm)
    assert all(np.isfinite(v[0]) and np.isnan(v[1]) for v in s.values())
    with pytest.raises(ValueError):
        scores_from_landmarks(np.zeros((10, 3)))


def test_procrustes_residual_ignores_pose_and_scale_but_not_shape():
    lm = _face_like_landmarks(1)
    t = np.radians(25)
    rot = np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])
    keep = np.ones(468, bool)
    assert procrustes_residual(1.7 * lm @ rot.T + 0.3, lm, keep) < 1e-9
    bent = lm.copy()
    bent[:50] += 0.05
    assert procrustes_residual(bent, lm, keep) > 0.01
    keep[:50] = False  # an edit confined to an excluded region leaves no drift
    assert procrustes_residual(bent, lm, keep) < 1e-9


def test_per_face_correlation_and_slope_skip_lost_images():
    x = np.linspace(-1, 1, 5)
    y = np.stack([2 * x + 1, -x, np.array([0, np.nan, 1, np.nan, np.nan])])
    r = pearson_rows(x, y)
    assert np.allclose(r[:2], [1, -1]) and np.isnan(r[2])
    assert np.allclose(slope_rows(x, y)[:2], [2, -1])


def test_a_face_passes_only_with_its_bar_met_and_every_cross_effect_small():
    from render.vectors.evaluation import ControlReport, EvalResult
    from render.vectors.scoring import SCORE_NAMES

    def report(name, r, cross):  # two faces; cross: score -> per-face change in stds
        faces = {s: np.array(cross.get(s, (0.0, 0.0))) for s in SCORE_NAMES}
        faces[name] = np.array([4.0, 4.0])
        faces["lip_gap"] = np.array([3.0, 3.0])  # an extra, reported-only score never fails a face
        return ControlReport(name, np.linspace(-1, 1, 5), np.array(r), 0.88, {}, faces, 0.0, 0)

    result = EvalResult([report("mouth", (0.95, 0.95), {"eyes": (0.3, 0.7)}),
                         report("yaw", (0.99, 0.80), {})], 2, 0.04, {}, 0)
    assert result.face_passes(0) == {"mouth": True, "yaw": True}
    assert result.face_passes(1) == {"mouth": False, "yaw": False}  # eyes +0.7 std; r 0.80 under the bar
    table = result.face_table(1)
    assert "| mouth | 0.950 (≥ 0.88) | +0.70 | **+4.00** |" in table and table.count("**no**") == 2
