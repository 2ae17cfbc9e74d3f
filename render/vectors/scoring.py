"""Facial attribute scores measured from pixels with the MediaPipe face mesh.

The mesh gives 468 landmarks with x, y in [0, 1] of the image and z (relative depth) on about the same
scale as x. All distances are taken in 3D so that a turned head does not foreshorten the eye and mouth
ratios (a 2D eye aspect ratio grows by 1/cos(yaw) as the head turns).

Scores (one number per face; NaN where no face was found, never guessed):
  eyes   eye aspect ratio, mean of both eyes: (two lid gaps) / (2 × corner distance)
  mouth  mouth height: top of the upper lip to bottom of the lower lip (outer contour, midline), over
         the inter-ocular distance (outer eye corners). Unlike the inner-lip gap, which is 0 for every
         closed mouth, it keeps moving while the lips are closed (pressed lips are thinner, relaxed ones
         fuller), so a sweep through "closed" still measures; the face-size normalization keeps it
         independent of the mouth's width, which a smile (and the eyes control) changes.
  lip_gap  the inner-lip gap (mean of three vertical pairs) over the mouth's width: 0 for closed lips
  yaw    head turn in degrees from the depth slope across the face (positive: the face turns toward the
         image's left, the image-right half of the face coming closer to the camera)
  pitch  head tilt in degrees from the depth slope from forehead to chin (positive: chin toward camera)
  smile  lift of the mouth corners above the lip centre, over the mouth width
"""
from __future__ import annotations

import numpy as np

from render.face_mesh import N_LANDMARKS, FaceMesh

SCORE_NAMES = ("eyes", "mouth", "yaw", "pitch", "smile")
# measured and reported, but not fitted: the lip gap is the mouth score the first directions used
EXTRA_SCORE_NAMES = ("lip_gap",)

# Eye aspect ratio points per eye: corner, two upper-lid, corner, two lower-lid (p1..p6 of the usual EAR).
_EYES = ((33, 160, 158, 133, 153, 144), (362, 385, 387, 263, 373, 380))
_INNER_LIP_PAIRS = ((82, 87), (13, 14), (312, 317))  # upper inner lip point, lower inner lip point
_MOUTH_CORNERS = (61, 291)
_OUTER_LIP_MIDLINE = (0, 17)  # top of the upper lip, bottom of the lower lip
_OUTER_EYE_CORNERS = (33, 263)
# symmetric pairs across the face (image-left point, image-right point) for yaw
_ACROSS = ((234, 454), (127, 356), (33, 263), (133, 362), (61, 291), (93, 323))
# points down the midline (upper, lower) for pitch
_DOWN = ((10, 152), (151, 175), (9, 200), (168, 18))


def _dist(lm: np.ndarray, a: int, b: int) -> np.ndarray:
    return np.linalg.norm(lm[..., a, :] - lm[..., b, :], axis=-1)


def _slope_deg(lm: np.ndarray, pairs: tuple[tuple[int, int], ...], axis: int) -> np.ndarray:
    """Mean angle (degrees) between the vectors a→b and the image axis `axis`, rotated in depth."""
    angles = []
    for a, b in pairs:
        v = lm[..., b, :] - lm[..., a, :]
        angles.append(np.degrees(np.arctan2(-v[..., 2], v[..., axis])))
    return np.mean(angles, axis=0)


def scores_from_landmarks(lm: np.ndarray) -> dict[str, np.ndarray]:
    """landmarks [..., 468, 3] -> {score name: [...]} for SCORE_NAMES then EXTRA_SCORE_NAMES; NaN rows
    stay NaN."""
    lm = np.asarray(lm, np.float64)
    if lm.shape[-2:] != (N_LANDMARKS, 3):
        raise ValueError(f"expected landmarks [..., {N_LANDMARKS}, 3], got {lm.shape}")
    ears = [(_dist(lm, p2, p6) + _dist(lm, p3, p5)) / (2 * _dist(lm, p1, p4)) for p1, p2, p3, p4, p5, p6 in _EYES]
    width = _dist(lm, *_MOUTH_CORNERS)
    gap = np.mean([_dist(lm, a, b) for a, b in _INNER_LIP_PAIRS], axis=0)
    centre_y = (lm[..., 13, 1] + lm[..., 14, 1]) / 2
    corners_y = (lm[..., _MOUTH_CORNERS[0], 1] + lm[..., _MOUTH_CORNERS[1], 1]) / 2
    return {
        "eyes": (ears[0] + ears[1]) / 2,
        "mouth": _dist(lm, *_OUTER_LIP_MIDLINE) / _dist(lm, *_OUTER_EYE_CORNERS),
        "yaw": _slope_deg(lm, _ACROSS, axis=0),
        "pitch": _slope_deg(lm, _DOWN, axis=1),
        "smile": (centre_y - corners_y) / width,
        "lip_gap": gap / width,
    }


class FaceMeshScorer(FaceMesh):
    """Landmarks (`render.face_mesh.FaceMesh`) and the attribute scores measured from them."""

    def scores(self, images: np.ndarray) -> dict[str, np.ndarray]:
        """[N, H, W, 3] uint8 RGB -> {score name: [N]} (NaN where no face was found)."""
        return scores_from_landmarks(self.landmarks(images))

