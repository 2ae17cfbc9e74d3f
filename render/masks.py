"""Feathered masks of the eye and mouth regions, from face-mesh landmarks, and compositing with them.

An eyes or mouth edit should change only the eyes or the mouth. The masks say where that is on one face:
the convex hull of each eye with its brow, and of the lips with the chin below them (the jaw drops with an
open mouth), grown by a margin and feathered with a Gaussian so that a composite has no seam. They are
made once per face (on CPU, from the MediaPipe mesh of the neutral face) and used as tensors per frame:
`composite` pastes an edited render's regions onto the neutral render, on any device.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch

# MediaPipe face-mesh indices: eye contours with brows, lip contours, and the chin/jaw below the mouth
EYE_POINTS = (
    (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246, 70, 63, 105, 66, 107, 55, 65,
     52, 53, 46),
    (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466, 300, 293, 334, 296, 336,
     285, 295, 282, 283, 276),
)
MOUTH_POINTS = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185,
                 # chin and lower jaw
                 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397)
REGIONS = ("eyes", "mouth")


def region_mask(landmarks: np.ndarray, region: str, size: int, grow: float = 0.12,
                feather: float = 0.08) -> np.ndarray:
    """landmarks [468, 2+] (x, y in [0, 1]) -> float32 [size, size] mask in [0, 1] of one region.

    grow: margin around the hull, feather: Gaussian sigma, both in inter-ocular distances (outer eye
    corners), so the mask scales with the face.
    """
    if region not in REGIONS:
        raise ValueError(f"unknown region '{region}'; use one of {', '.join(REGIONS)}")
    pts = np.asarray(landmarks, np.float64)[:, :2] * size
    if not np.isfinite(pts).all():
        raise ValueError("landmarks contain NaN: no face was found")
    iod = float(np.linalg.norm(pts[33] - pts[263]))
    mask = np.zeros((size, size), np.uint8)
    groups = EYE_POINTS if region == "eyes" else (MOUTH_POINTS,)
    for group in groups:
        hull = cv2.convexHull(np.round(pts[list(group)]).astype(np.int32))
        cv2.fillConvexPoly(mask, hull, 255)
    r = max(1, int(round(grow * iod)))
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    sigma = max(0.5, feather * iod)
    out = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), sigma)
    return np.clip(out, 0.0, 1.0)


def face_masks(landmarks: np.ndarray, size: int, **kw) -> dict[str, np.ndarray]:
    """Both region masks of one face: {'eyes': [size, size], 'mouth': [size, size]}."""
    return {r: region_mask(landmarks, r, size, **kw) for r in REGIONS}


def composite(edited: torch.Tensor, base: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """base outside the mask, edited inside: images [B, C, H, W] (any float range), mask [B or 1, 1, H, W]."""
    mask = mask.to(edited.device, edited.dtype)
    return torch.lerp(base, edited, mask)


def outside_change(edited: np.ndarray, base: np.ndarray, mask: np.ndarray, inside: float = 0.01) -> float:
    """Mean absolute pixel change (in /255) where the mask is below `inside`: how much an edit touches the
    rest of the picture. edited/base uint8 [H, W, 3], mask [H, W]."""
    keep = np.asarray(mask) < inside
    if not keep.any():
        return float("nan")
    diff = np.abs(edited.astype(np.int16) - base.astype(np.int16)).mean(-1)
    return float(diff[keep].mean())
