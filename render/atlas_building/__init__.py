"""Offline: planning, building and measuring the keyframe atlas (serving imports it only to build a missing atlas)."""
