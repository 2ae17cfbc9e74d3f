"""Lips that close as she speaks (shut at lip consonants, part of the way between other syllables): the inner lip
contours drawn together by an image warp of the mouth.

The mouth direction opens her mouth well, but its closing half is a closed-mouth grin that ages her (at the
closed value −1.2 the median identity distance from her neutral face is 0.37; docs/expression-directions.md),
and even there a third of faces keep their lips parted. So closed lips are drawn (render/drawn.py): the
upper and lower inner lip contours of the face mesh move onto a meeting line between them, the outer lip
contours follow most of the way so the lips keep their thickness, the skin toward the nose and the chin stays,
and a fixed ring keeps the rest of the face still. Closed, the lips' edges sample a little inside the lips,
so no teeth show along the meeting line.

`LipGeometry` is one face's mouth in one pose; `LipTable` blends geometries measured over the mouth and yaw
controls, so the lips close from any opening while the head turns; `Lips` closes the lips of the render
loop's frames whose request asks for it (`FrameRequest.lips`).
"""
from __future__ import annotations

import numpy as np

from render.drawn import DrawnFeature, DrawnGeometry, FeatureTable, band, ring, strips

# MediaPipe face-mesh lip contours between the mouth corners (61, 291), left to right, without the corners.
INNER_UPPER = (191, 80, 81, 82, 13, 312, 311, 310, 415)
INNER_LOWER = (95, 88, 178, 87, 14, 317, 402, 318, 324)
OUTER_UPPER = (185, 40, 39, 37, 0, 267, 269, 270, 409)
OUTER_LOWER = (146, 91, 181, 84, 17, 314, 405, 321, 375)
MOUTH_CORNERS = (61, 291)
MEET_AT = 0.5        # the meeting line: this share of the way from the lower inner lip to the upper one
LIP_FOLLOW = 0.9     # the outer lip contours move this share of their inner contour's way
LIP_MARGIN = 0.03    # closed, the lips' edges sample this far (in mouth widths) inside the lips


class LipGeometry(DrawnGeometry):
    """One face's closed-lips geometry: the mouth's open points, where they go closed, where those sample from."""

    @staticmethod
    def parts(landmarks: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        return [_mouth_geometry(*(landmarks[list(ids)] for ids in (INNER_UPPER, INNER_LOWER, OUTER_UPPER,
                                                                     OUTER_LOWER, MOUTH_CORNERS)))]


def _mouth_geometry(inner_up: np.ndarray, inner_lo: np.ndarray, outer_up: np.ndarray, outer_lo: np.ndarray,
                    corners: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The mouth from its lip contours [9, 2] each and its corners [2, 2]: the points open, where they go
    closed, where they sample from closed, and the triangles."""
    width = float(np.linalg.norm(corners[1] - corners[0]))
    along = (corners[1] - corners[0]) / max(width, 1e-6)
    up = np.array([along[1], -along[0]])
    if np.dot(outer_up.mean(0) - outer_lo.mean(0), up) < 0:  # "up" points from the chin to the nose
        up = -up
    centre = (outer_up.mean(0) + outer_lo.mean(0)) / 2
    meet = inner_lo + MEET_AT * (inner_up - inner_lo)
    above = outer_up + up * 0.22 * width   # still: the skin under the nose
    below = outer_lo - up * 0.3 * width    # still: the chin
    still = ring(centre, along * 0.95 * width, up * 0.9 * width)
    opened = np.concatenate([corners, above, outer_up, inner_up, inner_lo, outer_lo, below, still])
    closed = np.concatenate([corners, above, outer_up + LIP_FOLLOW * (meet - inner_up), meet, meet,
                             outer_lo + LIP_FOLLOW * (meet - inner_lo), below, still])
    n = len(inner_up)
    source = opened.copy()
    source[2 + 2 * n:2 + 3 * n] += up * LIP_MARGIN * width   # the upper lip's edge samples the upper lip
    source[2 + 3 * n:2 + 4 * n] -= up * LIP_MARGIN * width   # the lower lip's edge samples the lower lip
    ab, ou, iu, il, ol, be = (2 + k * n + np.arange(n) for k in range(6))
    rg = be[-1] + 1 + np.arange(len(still))
    tris = strips([ab, ou, iu, il, ol, be], (0, 1))
    hull = [0] + list(ab) + [1] + list(be[::-1])
    tris += band(opened, hull, list(rg))
    return opened, closed, source, np.array(tris, np.int64)


class LipTable(FeatureTable):
    """One face's lip geometry over a grid of the controls that move the lips (mouth, yaw)."""

    GEOMETRY = LipGeometry
    GRID = {"mouth": 7, "yaw": 7}
    FEATURE = "lips"


class Lips(DrawnFeature):
    """Closes the lips of the frames whose request asks for it (`FrameRequest.lips`); a face whose neutral
    frame has no mesh speaks with the mouth control alone."""

    TABLE = LipTable
    FIELD = "lips"
