"""The selfie-segmentation matte on a real rendered face (needs the optional `matte` extra)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from render.matte import SelfieMatte

pytestmark = pytest.mark.skipif(not SelfieMatte.available(), reason="MediaPipe is not installed (extra `matte`)")


@pytest.mark.real_weights
def test_the_matte_covers_her_face_and_not_the_corners(face_generator):
    from render.images import to_uint8

    import torch

    with torch.no_grad():
        rgb = to_uint8(face_generator.synthesize(face_generator.w_from_seeds([7], psi=0.7)), size=256)[0]
    ok, jpeg = cv2.imencode(".jpg", np.ascontiguousarray(rgb[:, :, ::-1]))
    matte = cv2.imdecode(np.frombuffer(SelfieMatte().matte_jpeg(jpeg.tobytes()), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert matte.shape == (256, 256)
    assert matte[96:160, 96:160].mean() > 200            # the face
    assert matte[:16, :16].mean() < matte[96:160, 96:160].mean() - 100  # the background corner
