"""The persona's mind: the LLM and its four LoRA roles, prompts, memory, the ethics gate and the block policy.

Serving: `build_chat_engine` (`dialogue.conversation`) assembles a `PersonaChat` from an LLM backend
(`InProcessLLM`, our own Gemma 3 decoder in `dialogue.decoder`, or a remote OpenAI-compatible server through
`dialogue.backends`), the `MemoryStore`, the classifiers and the `EthicsGate`, all behind the Protocols of
`dialogue.interfaces`. Offline tools live in their own subpackages, never imported by `ohlora serve`:
`dialogue.data` (the written training and test data and their loaders), `dialogue.training` (LoRA SFT and the
classifier layers), `dialogue.evaluation` (`ohlora eval …`) and `dialogue.benchmarks` (`ohlora bench …`).

Importing this package is light: each public name is imported on first use.
"""
from __future__ import annotations

import importlib

_PUBLIC = {
    "ChatEngine": "dialogue.interfaces",
    "Expression": "dialogue.interfaces",
    "Memory": "dialogue.interfaces",
    "SafetyGate": "dialogue.interfaces",
    "SafetyVerdict": "dialogue.interfaces",
    "TurnEvent": "dialogue.interfaces",
    "PersonaChat": "dialogue.conversation",
    "build_chat_engine": "dialogue.conversation",
    "InProcessLLM": "dialogue.llm",
    "LLMBackend": "dialogue.llm",
    "LLMBackendError": "dialogue.llm",
    "RemoteLLM": "dialogue.backends",
    "load_default_llm": "dialogue.llm_loading",
    "MemoryStore": "dialogue.memory",
    "EthicsGate": "dialogue.safety",
    "open_safety_gate": "dialogue.safety",
    "BlockPolicy": "dialogue.blocks",
    "open_database": "dialogue.database",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
