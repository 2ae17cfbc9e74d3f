"""The expression vocabulary shared by the expression role (`dialogue/`) and the animation timeline (`render/`).

The role emits one level per control; the timeline eases each control toward that level. Both sides import these
names from here, the one place below them both (PERSONA.md: small / normal / wide / very wide).
"""
from __future__ import annotations

EYE_LEVELS = ("closed", "small", "normal", "wide", "very wide")
MOUTH_LEVELS = EYE_LEVELS
HEAD_LEVELS = ("left", "slightly left", "none", "slightly right", "right")

__all__ = ["EYE_LEVELS", "HEAD_LEVELS", "MOUTH_LEVELS"]
