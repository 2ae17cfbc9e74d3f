"""Offline: planning, building and measuring the keyframe atlas (serving imports it only to build a missing atlas)."""

# its modules; each is imported where it is used (`from render.atlas_building import <module>`)
__all__ = ["build", "error", "plan"]
