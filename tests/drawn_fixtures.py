"""A render function and a face-mesh stand-in for drawn-feature tables (render/drawn.py) on synthetic faces."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np


def recorded_faces(faces: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]):
    """(render, mesh): `render(controls)` draws `faces(controls)`'s frames and remembers the landmarks each was
    drawn with; `mesh(frames)` gives them back, the way the face mesh would find them on those frames."""
    landmarks_of: dict[bytes, np.ndarray] = {}

    def render(controls: np.ndarray) -> np.ndarray:
        frames, landmarks = faces(controls)
        for frame, lm in zip(frames, landmarks):
            landmarks_of[frame.tobytes()] = lm
        return frames

    def mesh(frames: np.ndarray) -> np.ndarray:
        return np.stack([landmarks_of[f.tobytes()] for f in frames])

    return render, mesh
