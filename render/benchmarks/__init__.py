"""Offline: `ohlora bench render`, `ohlora bench animate` and `ohlora bench atlas` for the face generator and the avatar."""
