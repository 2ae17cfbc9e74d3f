"""Fit one direction per attribute in w space from (w, score) samples, with scikit-learn.

Methods:
  svm    the previous system's: a linear SVM separating the top from the bottom 20% of the score;
         the direction is the normal of the separating hyperplane.
  ridge  ridge regression of the (rank-normalized) score on w over the full range.
Either can be made conditional: each control's direction has the directions of the other attributes
(the other controls and the scored-but-uncontrolled ones, e.g. smile and pitch) projected out, so that
moving along it leaves their linear predictors unchanged ("mouth" should not turn the head).

A fitted unit direction d is stored as vector = UNIT_SIGMAS · σ · d, where σ is the std of the sampled
population's w projected on d: a control value of 1.0 moves a face as far along d as a face UNIT_SIGMAS
population standard deviations from the mean.
"""
from __future__ import annotations

import numpy as np

METHODS = ("svm", "ridge")
UNIT_SIGMAS = 3.0


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v)
    if not np.isfinite(n) or n == 0:
        raise ValueError("the fit produced a zero direction: the score does not vary in the samples")
    return v / n


def fit_svm_direction(w: np.ndarray, score: np.ndarray, share: float = 0.2, c: float = 0.01,
                      seed: int = 0) -> np.ndarray:
    """Unit normal of a linear SVM separating the top `share` from the bottom `share` of the score."""
    from sklearn.svm import LinearSVC

    w, score = _finite(w, score)
    lo, hi = np.quantile(score, [share, 1 - share])
    if not lo < hi:
        raise ValueError(f"the top and bottom {share:.0%} of the score overlap; the score barely varies")
    pick = (score <= lo) | (score >= hi)
    x = w[pick] - w.mean(0)
    y = (score[pick] >= hi).astype(np.int64)
    svm = LinearSVC(C=c, max_iter=20_000, random_state=seed)
    svm.fit(x, y)
    return _unit(svm.coef_[0].astype(np.float64))


def fit_ridge_direction(w: np.ndarray, score: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Unit coefficient vector of a ridge regression of the rank-normalized score on w (all samples).

    Ranks make the fit insensitive to a skewed score (the mouth gap is 0 for every closed mouth).
    """
    from scipy.stats import norm, rankdata
    from sklearn.linear_model import Ridge

    w, score = _finite(w, score)
    target = norm.ppf((rankdata(score) - 0.5) / len(score))
    model = Ridge(alpha=alpha).fit(w - w.mean(0), target)
    return _unit(model.coef_.astype(np.float64))


def _finite(w: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = np.isfinite(score)
    if keep.sum() < 20:
        raise ValueError(f"only {int(keep.sum())} samples with a score; sample more faces")
    return np.asarray(w, np.float64)[keep], np.asarray(score, np.float64)[keep]


def fit_direction(method: str, w: np.ndarray, score: np.ndarray) -> np.ndarray:
    if method == "svm":
        return fit_svm_direction(w, score)
    if method == "ridge":
        return fit_ridge_direction(w, score)
    raise ValueError(f"unknown fitting method '{method}'; use one of {', '.join(METHODS)}")


def condition_on_others(directions: np.ndarray, index: int) -> np.ndarray:
    """Direction `index` with the span of all other rows projected out, renormalized to unit length."""
    d = directions[index]
    others = np.delete(directions, index, axis=0)
    if len(others) == 0:
        return d
    q, _ = np.linalg.qr(others.T)  # orthonormal basis of the others' span
    return _unit(d - q @ (q.T @ d))


def population_sigma(w: np.ndarray, direction: np.ndarray) -> float:
    """Std of the samples' w projected on a unit direction."""
    return float(np.std(np.asarray(w, np.float64) @ direction))


def fit_directions(w: np.ndarray, scores: dict[str, np.ndarray], controls: tuple[str, ...], method: str = "svm",
                   conditional: bool = True) -> tuple[np.ndarray, dict[str, float]]:
    """Fit a direction for every score, keep those in `controls` (conditioned on all others if asked).

    Returns (vectors [len(controls), D] scaled so 1.0 = UNIT_SIGMAS population stds, {control: σ}).
    """
    names = list(scores)
    missing = [c for c in controls if c not in scores]
    if missing:
        raise ValueError(f"no score for control(s) {', '.join(missing)}; scores: {', '.join(names)}")
    raw = np.stack([fit_direction(method, w, scores[n]) for n in names])
    vectors, sigmas = [], {}
    for name in controls:
        i = names.index(name)
        d = condition_on_others(raw, i) if conditional else raw[i]
        # keep the sign: positive control = larger score
        if np.dot(d, raw[i]) < 0:
            d = -d
        sigma = population_sigma(w, d)
        sigmas[name] = sigma
        vectors.append(UNIT_SIGMAS * sigma * d)
    return np.stack(vectors).astype(np.float32), sigmas
