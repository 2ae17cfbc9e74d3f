"""The face: the generator networks, the expression directions and the avatar that streams a face.

Serving: `AvatarRenderer` (one per server process, `render.avatar`) opens an `AvatarSession` per
conversation, which turns expression events into `EncodedFrame`s, rendered exactly on CUDA or blended from a
keyframe atlas on CPU. Offline tools live in their own subpackages, never imported by `ohlora serve`:
`render.vectors` (finding the expression directions), `render.atlas_building` (building the atlas; the
avatar imports it only when no atlas is cached) and `render.benchmarks` (`ohlora bench render|animate|atlas`).

Importing this package is light: each public name is imported on first use.
"""
from __future__ import annotations

import importlib

_PUBLIC = {
    "AvatarConfig": "render.avatar",
    "AvatarRenderer": "render.avatar",
    "AvatarSession": "render.avatar_session",
    "EncodedFrame": "render.frames",
    "ExpressionDirections": "render.directions",
    "ExpressionTimeline": "render.timeline",
    "FLAG_INTERPOLATED": "render.frames",
    "FLAG_KEYFRAME": "render.frames",
    "FLAG_MATTE": "render.frames",
    "FaceGenerator": "render.generator",
    "KeyframeAtlas": "render.atlas",
    "LatentWalk": "render.walk",
    "OfflineClock": "render.clocks",
    "SelfieMatte": "render.matte",
    "WallClock": "render.clocks",
    "load_directions": "render.directions",
    "load_generator": "render.generator",
    "load_or_build_atlas": "render.atlas_cache",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
