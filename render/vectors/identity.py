"""Who a face is, measured with dlib's face-recognition ResNet: the distance between two pictures'
128-d descriptors (dlib's convention: the same person < 0.6; different generated people here 0.65–0.76).

Expression edits are judged by this distance from the face's own neutral picture, so "the same face"
is measured by a model trained to tell people apart, not by landmarks. The models ship in PyPI's
`face-recognition-models` (the ResNet and the 68-point shape predictor); dlib itself is `dlib-bin`.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np


def _model_dir() -> Path:
    # face_recognition_models locates its files through pkg_resources, which new setuptools no longer ships
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("identity measurement needs dlib's models: pip install -e '.[vectors]' "
                          "(dlib-bin, face-recognition-models)")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class FaceIdentity:
    """128-d dlib face descriptors of the one face in each picture."""

    def __init__(self, jitter: int = 0) -> None:
        try:
            import dlib
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("identity measurement needs dlib: pip install -e '.[vectors]' (or pass --no-identity)") from e
        models = _model_dir()
        self._dlib = dlib
        self._detect = dlib.get_frontal_face_detector()
        self._shape = dlib.shape_predictor(str(models / "shape_predictor_68_face_landmarks.dat"))
        self._net = dlib.face_recognition_model_v1(str(models / "dlib_face_recognition_resnet_model_v1.dat"))
        self.jitter = jitter

    def box(self, image: np.ndarray):
        """The largest detected face (a dlib rectangle), or None."""
        faces = self._detect(np.ascontiguousarray(image), 1)
        return max(faces, key=lambda r: r.area()) if len(faces) else None

    def descriptor(self, image: np.ndarray, box=None) -> np.ndarray:
        """uint8 RGB [H, W, 3] -> [128] float64 (NaN when no face is found). `box` (a dlib rectangle, e.g.
        the neutral picture's) is used when the detector misses a face, such as one with closed eyes."""
        image = np.ascontiguousarray(image)
        found = self.box(image) or box
        if found is None:
            return np.full(128, np.nan)
        shape = self._shape(image, found)
        return np.asarray(self._net.compute_face_descriptor(image, shape, self.jitter), np.float64)

    def descriptors(self, images: np.ndarray, boxes=None) -> np.ndarray:
        """[N, H, W, 3] uint8 -> [N, 128] (NaN rows where no face is found); boxes: fallback per image."""
        boxes = boxes if boxes is not None else [None] * len(images)
        return np.stack([self.descriptor(img, b) for img, b in zip(images, boxes)]) if len(images) else \
            np.zeros((0, 128))


def identity_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance between descriptors [..., 128] (dlib's measure); NaN where either is NaN."""
    return np.linalg.norm(np.asarray(a) - np.asarray(b), axis=-1)
