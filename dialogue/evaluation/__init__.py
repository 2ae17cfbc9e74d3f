"""Offline: measuring the roles, the classifiers and the memory on their held-out sets."""

# its modules; each is imported where it is used (`from dialogue.evaluation import <module>`)
__all__ = ["classifiers", "llm", "memory", "metrics", "open", "remember", "reports", "splits", "summaries", "thresholds"]
