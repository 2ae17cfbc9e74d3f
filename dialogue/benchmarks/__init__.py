"""Offline: `ohlora bench` for the dialogue engines."""
