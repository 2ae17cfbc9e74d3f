"""Offline: training the LoRA roles and the classifier layers (never imported by `ohlora serve`)."""

# its modules; each is imported where it is used (`from dialogue.training import <module>`)
__all__ = ["checkpoints", "classifier_layers", "finetuning_probe", "heads", "lora", "memory_gate"]
