"""`ohlora eval dialogue`'s scoring: what counts as a persona-fact hit, a memory key match, an expression
level match, and the split of expression accuracy into answers training saw and answers it never saw."""
from __future__ import annotations

from datetime import datetime

from dialogue.data.turns import Turn
from dialogue.llm import Completion
from dialogue.evaluation.llm import evaluate


def _turn(id_: str, category: str, message: str, answer: str, memory: str = "", facts: tuple[str, ...] = (),
          expression: dict | None = None) -> Turn:
    return Turn(id_, category, "en", datetime(2025, 11, 29, 15, 0), "", "", message, answer, memory,
                "The user asked something.", expression or {"eyes": "wide", "mouth": "wide", "head": "none"},
                facts)


class ScriptedLLM:
    """Answers each role with a fixed text, chosen by a substring of the prompt."""

    def __init__(self, script: dict[tuple[str, str], str]):
        self.script = script

    def generate_text(self, role: str, prompt: str, *, max_new_tokens: int = 64) -> Completion:
        for (r, needle), text in self.script.items():
            if r == role and needle in prompt:
                return Completion(text)
        return Completion("")


def test_scores_count_facts_keys_and_levels_and_separate_unseen_answers():
    turns = [
        _turn("a", "persona:mbti", "What's your MBTI?", "I'm an ENTJ!", facts=("ENTJ",)),
        _turn("b", "persona:name", "Who are you?", "I'm Oh-LoRA!", facts=("Oh-LoRA",)),
        _turn("c", "memory:plan", "I'm going to a cafe tomorrow", "Have fun!", memory="[tomorrow: cafe]",
              expression={"eyes": "normal", "mouth": "small", "head": "none"}),
    ]
    llm = ScriptedLLM({
        ("answer", "MBTI"): "ENTJ, that's me.",
        ("answer", "Who are you"): "I'm a student.",          # misses the fact
        ("answer", "cafe"): "Have fun at the cafe!",
        ("memory", "cafe"): "[tomorrow: cafe with a friend]",  # right key, other value
        ("expression", "ENTJ"): "wide / wide / none",
        ("expression", "Oh-LoRA"): "wide / normal / none",     # one level wrong
        ("expression", "Have fun"): "not an expression",        # invalid: no level counted
    })
    s = evaluate(llm, turns, progress=False, train_answers={"I'm an ENTJ!"})
    assert (s.persona_correct, s.persona_total) == (1, 2)
    assert s.failures and "Who are you?" in s.failures[0]
    assert (s.key_tp, s.key_fp, s.key_fn) == (1, 0, 0)
    assert s.memory_exact == 2  # two empty memories right; the café value differs
    assert s.expr_parts_correct == 3 + 2 and s.expr_all_correct == 1
    assert s.raw_valid["expression"] == 2
    # "I'm Oh-LoRA!" and "Have fun!" were never trained on: 2 of their 6 levels right
    assert s.expr_unseen_turns == 2 and s.expr_unseen_parts_correct == 2
    assert "on answers training never saw" in s.table()
