"""Offline: measuring the roles, the classifiers and the memory on their held-out sets."""
