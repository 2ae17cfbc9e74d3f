"""A real blink: the upper eyelids drawn down over the eyes by an image warp of each eye region.

No expression direction of the generator closes the eyes (its faces at ψ 0.7 almost never have closed
eyes, so there is nothing to fit one on; the fitted "eyes" direction squints and laughs). So a blink is a
warp of the rendered frame itself (render/drawn.py): per eye, the upper lid's face-mesh contour moves down
onto a closing line near the lower lid, the skin between the lid and the brow stretches after it, the lower
lid rises a little, and a fixed ring around the eye keeps the rest of the face still. The lash line lands on
the closing line and the eyeball's pixels are simply no longer sampled.

`LidGeometry` is one face's eyes in one pose; `EyelidTable` blends geometries measured over the eyes and yaw
controls, so the lids follow the head; `Eyelids` closes the lids of the render loop's frames whose request
carries a blink (`FrameRequest.blink`).
"""
from __future__ import annotations

import numpy as np

from render.drawn import DrawnFeature, DrawnGeometry, FeatureTable, band, ring, strips

# MediaPipe face-mesh eye contours, corner to corner in the same order (upper and lower lid share corners).
UPPER_LIDS = ((33, 246, 161, 160, 159, 158, 157, 173, 133), (263, 466, 388, 387, 386, 385, 384, 398, 362))
LOWER_LIDS = ((33, 7, 163, 144, 145, 153, 154, 155, 133), (263, 249, 390, 373, 374, 380, 381, 382, 362))
CLOSED_AT = 0.1        # the closing line: this share of the way from the lower lid to the upper lid
CREASE_FOLLOW = 0.9    # the lid's skin above the lash line moves this share of the lid's way
LID_MARGIN = 0.02     # closed, the lids sample this far (in eye widths) outside their edges


class LidGeometry(DrawnGeometry):
    """One face's blink geometry: per eye the open points, where they go shut, where those sample from."""

    @staticmethod
    def parts(landmarks: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        return [_eye_geometry(landmarks[list(u)], landmarks[list(lo)]) for u, lo in zip(UPPER_LIDS, LOWER_LIDS)]


def _eye_geometry(upper: np.ndarray, lower: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One eye from its lid contours [9, 2] each: the points open, where they go at full closure, where
    they sample from at full closure, and the triangles."""
    corner_a, corner_b = upper[0], upper[-1]
    width = float(np.linalg.norm(corner_b - corner_a))
    centre = (upper.mean(0) + lower.mean(0)) / 2
    along = (corner_b - corner_a) / max(width, 1e-6)
    up = np.array([along[1], -along[0]])
    if np.dot(upper.mean(0) - lower.mean(0), up) < 0:  # "up" points from the lower lid to the upper one
        up = -up
    mid_up, mid_lo = upper[1:-1], lower[1:-1]
    target = mid_lo + CLOSED_AT * (mid_up - mid_lo)
    crease = mid_up + up * 0.2 * width   # the lid's skin: follows part of the way
    brow = mid_up + up * 0.45 * width    # still: the brows do not move in a blink
    below = mid_lo - up * 0.22 * width   # still
    still = ring(centre, along * 1.0 * width, up * 0.85 * width)
    corners = upper[[0, -1]]
    opened = np.concatenate([corners, mid_up, mid_lo, crease, brow, below, still])
    closed = np.concatenate([corners, target, target, crease + CREASE_FOLLOW * (target - mid_up), brow, below, still])
    # closed, the lash line samples a little above the lid's edge and the lower lid a little below its own,
    # so no white of the eye shows along the closing line
    source = opened.copy()
    n_mid = len(mid_up)
    source[2:2 + n_mid] += up * LID_MARGIN * width
    source[2 + n_mid:2 + 2 * n_mid] -= up * LID_MARGIN * width
    u = 2 + np.arange(n_mid)
    lo, cr = u + n_mid, u + 2 * n_mid
    br, be = u + 3 * n_mid, u + 4 * n_mid
    rg = be[-1] + 1 + np.arange(len(still))
    tris = strips([br, cr, u, lo, be], (0, 1))
    hull = [0] + list(br) + [1] + list(be[::-1])
    tris += band(opened, hull, list(rg))
    return opened, closed, source, np.array(tris, np.int64)


class EyelidTable(FeatureTable):
    """One face's lid geometry over a grid of the controls that move its eyes (eyes, yaw; the mouth barely
    does)."""

    GEOMETRY = LidGeometry
    GRID = {"eyes": 5, "yaw": 7}
    FEATURE = "eyelids"


class Eyelids(DrawnFeature):
    """Closes the eyelids of the frames whose request carries a blink (`FrameRequest.blink`); a face whose
    neutral frame has no mesh keeps blinking with the eyes control's squint."""

    TABLE = EyelidTable
    FIELD = "blink"
