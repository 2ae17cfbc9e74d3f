"""What the avatar hands the server for each frame: the encoded image and the flags the wire header carries,
and the JPEG encoding that makes it.

The flags are one contract: `realtime.protocol` writes them into the binary frame header unchanged and
`web/js/protocol.js` reads them there (tests/test_realtime_protocol.py holds the page's copy to these values).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

FLAG_KEYFRAME = 1       # rendered from its own latent (exact synthesis or an atlas keyframe)
FLAG_INTERPOLATED = 2   # blended from atlas keyframes
FLAG_MATTE = 4          # a grey JPEG matte follows the image


@dataclass(frozen=True)
class EncodedFrame:
    """One encoded frame of a session."""

    seq: int            # session-relative sequence number, from 0
    pts_ms: int         # presentation time on the session clock, ms
    width: int
    height: int
    codec: str          # "jpeg"
    flags: int          # FLAG_* bits
    data: bytes         # the encoded image
    matte: bytes | None = None  # a grey JPEG matte, added by the server for the sockets that ask for one


def encode_jpeg(rgb: np.ndarray, quality: int) -> bytes:
    """RGB uint8 [H, W, 3] -> JPEG bytes (OpenCV releases the GIL while it encodes)."""
    import cv2

    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("OpenCV could not encode a frame as JPEG")
    return buf.tobytes()


__all__ = ["FLAG_INTERPOLATED", "FLAG_KEYFRAME", "FLAG_MATTE", "EncodedFrame", "encode_jpeg"]
