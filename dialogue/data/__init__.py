"""Offline: the dialogue data (SFT turns, classifier sets, written conversations), their loaders and builders."""

# its modules; each is imported where it is used (`from dialogue.data import <module>`)
__all__ = ["build_ethics", "build_memory", "build_topic", "compose", "dedupe", "persona_questions", "turns", "written"]
