"""Offline: `ohlora bench render`, `ohlora bench animate` and `ohlora bench atlas` (face generator, avatar)."""
