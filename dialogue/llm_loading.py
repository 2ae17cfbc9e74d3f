"""The persona LLM as `ohlora serve` loads it: Gemma 3 270M with the committed role adapters
(weights/adapters), and the prompt shape the answer adapter was trained with."""
from __future__ import annotations

import json
from pathlib import Path

from dialogue.llm import InProcessLLM, role_adapters
from dialogue.prompting import HISTORY_TURNS, PROMPT_MEMORIES

ADAPTERS_DIR = Path(__file__).resolve().parent.parent / "weights" / "adapters"


def load_default_llm(threads: int | None = None, full_vocabulary: bool = False,
                     adapters: Path | None = None) -> InProcessLLM:
    """The embedded default: Gemma 3 270M with the committed role adapters (or those in `adapters`)."""
    from weights import prepared_path

    adapters = adapters or ADAPTERS_DIR
    role_adapters(adapters)  # a folder without adapters is said before the base model loads
    bias = role_stop_bias(adapters)
    llm = InProcessLLM.from_pretrained(prepared_path("gemma3-270m"), adapters, threads=threads,
                                       full_vocabulary=full_vocabulary)
    llm.stop_bias.update(bias)
    return llm


def role_stop_bias(adapters: Path) -> dict[str, float]:
    """Each role's first-step stop bias (`InProcessLLM.stop_bias`) from `<adapters>/<role>/decoding.json`
    (`{"stop_bias": 1.5, ...}`): it belongs to the adapter it was chosen for, on validation messages."""
    out = {}
    for path in sorted(adapters.glob("*/decoding.json")):
        try:
            value = float(json.loads(path.read_text(encoding="utf-8"))["stop_bias"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path}: expected {{\"stop_bias\": <number>}} ({e}); fix or remove the file") from None
        if not -20.0 <= value <= 20.0:
            raise ValueError(f"{path}: stop_bias {value} is outside -20..20 (logits)")
        out[path.parent.name] = value
    return out


def _answer_training_config(adapters: Path) -> dict:
    """The `config` of the answer adapter's training report, or {} when there is none to read."""
    try:
        config = json.loads((adapters / "answer" / "training_report.json").read_text(encoding="utf-8"))["config"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return config if isinstance(config, dict) else {}


def trained_with_examples(adapters: Path) -> bool:
    """Whether the answer adapter was trained with a nearby written exchange in its prompts (`ohlora train
    --examples`, `TurnContext.example`): only such an adapter is shown one live."""
    return bool(_answer_training_config(adapters).get("examples"))


def trained_prompt_shape(adapters: Path) -> tuple[int, int]:
    """(earlier exchanges, memories) the answer adapter saw in its prompts, from its training report's data:
    the written conversations carry up to HISTORY_TURNS exchanges and up to PROMPT_MEMORIES stored memories,
    relevant or not; (0, 0) for an adapter trained on the generated turns (no history, one gated memory)."""
    written = _answer_training_config(adapters).get("data") == "written"
    return (HISTORY_TURNS, PROMPT_MEMORIES) if written else (0, 0)
