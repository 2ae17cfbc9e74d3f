"""Offline: `ohlora bench render`, `ohlora bench animate` and `ohlora bench atlas` (face generator, avatar)."""

# its modules; each is imported where it is used (`from render.benchmarks import <module>`)
__all__ = ["animation", "atlas", "synthesis"]
