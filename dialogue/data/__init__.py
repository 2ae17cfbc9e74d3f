"""Offline: the dialogue data (SFT turns, classifier sets, written conversations), their loaders and builders."""
