"""Offline: `ohlora bench` for the dialogue engines."""

# its modules; each is imported where it is used (`from dialogue.benchmarks import <module>`)
__all__ = ["llm", "memory", "remote"]
