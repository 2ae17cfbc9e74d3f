"""Offline: training the LoRA roles and the classifier layers (never imported by `ohlora serve`)."""
