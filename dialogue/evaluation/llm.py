"""`ohlora eval dialogue`: the roles' quality on the held-out split (speed: `dialogue.benchmarks.llm`)."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from dialogue.data.turns import Turn, load_turns, split, validation_split
from dialogue.llm import InProcessLLM
from dialogue.llm_loading import load_default_llm
from dialogue.prompting import expression_prompt, language_of, memory_prompt, summary_prompt
from dialogue.roles import FALLBACK, answer_problem, clean_summary, parse_expression, parse_memory


@dataclass
class DialogueScores:
    turns: int = 0
    persona_total: int = 0
    persona_correct: int = 0
    memory_exact: int = 0
    memory_turns: int = 0
    key_tp: int = 0
    key_fp: int = 0
    key_fn: int = 0
    expr_parts_correct: int = 0
    expr_all_correct: int = 0
    expr_turns: int = 0
    # answers whose text training never saw: the expression role must read the mood, not recall the line
    expr_unseen_turns: int = 0
    expr_unseen_parts_correct: int = 0
    summary_turns: int = 0
    raw_valid: dict[str, int] = field(default_factory=lambda: {"answer": 0, "memory": 0, "expression": 0, "summary": 0})
    lang_match: int = 0
    answer_chars: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def table(self) -> str:
        n = max(self.turns, 1)
        p = self.key_tp / max(self.key_tp + self.key_fp, 1)
        r = self.key_tp / max(self.key_tp + self.key_fn, 1)
        f1 = 2 * p * r / max(p + r, 1e-9)
        rows = [
            ("persona-fact accuracy (≥ 95%)", f"{self.persona_correct}/{self.persona_total} = "
                                              f"{self.persona_correct / max(self.persona_total, 1):.1%}"),
            ("memory exact match", f"{self.memory_exact}/{self.memory_turns} = {self.memory_exact / max(self.memory_turns, 1):.1%}"),
            ("memory key F1 (≥ 0.9)", f"{f1:.3f} (precision {p:.3f}, recall {r:.3f})"),
            ("expression level accuracy (≥ 80%), per control", f"{self.expr_parts_correct / max(3 * self.expr_turns, 1):.1%}"),
            ("expression, all three controls right", f"{self.expr_all_correct / max(self.expr_turns, 1):.1%}"),
            ("expression per control, on answers training never saw",
             f"{self.expr_unseen_parts_correct / max(3 * self.expr_unseen_turns, 1):.1%} "
             f"({self.expr_unseen_turns} turns)"),
            ("raw format validity: answer / memory / expression / summary",
             " / ".join(f"{self.raw_valid[k] / max(d, 1):.1%}" for k, d in
                        (("answer", n), ("memory", self.memory_turns), ("expression", self.expr_turns),
                         ("summary", self.summary_turns)))),
            ("format validity after validation", "100% (invalid outputs are regenerated or replaced by a fallback)"),
            ("language match (≥ 98%)", f"{self.lang_match / n:.1%}"),
            ("answer length, median characters", f"{statistics.median(self.answer_chars) if self.answer_chars else 0:.0f}"),
        ]
        lines = ["| metric | value |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows]
        return "\n".join(lines)


def evaluate(llm: InProcessLLM, turns: list[Turn], answer_turns: set[str] | None = None,
             summary_turns: set[str] | None = None, progress: bool = True,
             train_answers: set[str] | None = None, aspects: dict[str, str] | None = None) -> DialogueScores:
    """Greedy outputs of the roles on `turns` against their targets. Memory and expression run on every
    turn; answers and summaries on the ids given (None: every turn), since they cost the most tokens.
    `train_answers` (the training split's answer texts) separates expression on answers never trained on.
    `aspects` maps a turn id to the persona fact its answer prompt shows (the persona-question classifier's
    decision, as in a live conversation); without it the prompt shows the asked fact."""
    s = DialogueScores()
    for t in tqdm(turns, desc="eval dialogue", unit="turn", disable=not progress):
        if answer_turns is None or t.id in answer_turns:
            s.turns += 1
            aspect = aspects.get(t.id, "") if aspects is not None else t.persona_aspect
            answer = llm.generate_text("answer", t.prompt("answer", aspect), max_new_tokens=48).text.strip()
            ok = answer_problem(answer, t.message, t.now, t.context_memory or t.context_summary) is None
            s.raw_valid["answer"] += ok
            shown = answer if ok else FALLBACK[t.lang]
            s.answer_chars.append(len(shown))
            s.lang_match += language_of(shown) == t.lang
            if t.category.startswith("persona") and t.facts:
                s.persona_total += 1
                hit = all(f.lower() in answer.lower() for f in t.facts)
                s.persona_correct += hit
                if not hit:
                    s.failures.append(f"{t.message} → {answer!r} (expected {', '.join(t.facts)})")
        mem = llm.generate_text("memory", memory_prompt(t.message, t.now), max_new_tokens=24).text.strip()
        parsed = parse_memory(mem)
        s.raw_valid["memory"] += (parsed is not None) or mem == ""
        s.memory_turns += 1
        s.memory_exact += mem == t.memory
        want = parse_memory(t.memory)
        got_key, want_key = (parsed[0] if parsed else None), (want[0] if want else None)
        if got_key and want_key and got_key == want_key:
            s.key_tp += 1
        else:
            s.key_fp += got_key is not None
            s.key_fn += want_key is not None
        expr_text = llm.generate_text("expression", expression_prompt(t.answer), max_new_tokens=12).text
        expr = parse_expression(expr_text)
        s.raw_valid["expression"] += expr is not None
        s.expr_turns += 1
        if expr is not None:
            parts = [expr.eyes == t.expression["eyes"], expr.mouth == t.expression["mouth"],
                     expr.head == t.expression["head"]]
            s.expr_parts_correct += sum(parts)
            s.expr_all_correct += all(parts)
        if train_answers is not None and t.answer not in train_answers:
            s.expr_unseen_turns += 1
            if expr is not None:
                s.expr_unseen_parts_correct += sum(parts)
        if summary_turns is None or t.id in summary_turns:
            s.summary_turns += 1
            summ = llm.generate_text("summary", summary_prompt(t.message, t.answer), max_new_tokens=40).text
            s.raw_valid["summary"] += bool(clean_summary(summ))
    return s


def run_eval(answer_others: int | None = 15, summaries: int | None = 20, max_turns: int | None = None,
             threads: int | None = None, split_name: str = "held-out",
             adapters: Path | None = None) -> tuple[DialogueScores, str]:
    """Every held-out turn for memory and expression; answers on every persona-fact turn plus
    `answer_others` more (None: all); summaries on `summaries` turns (None: all). `split_name`
    "validation" scores the validation part of the training split instead (see `ohlora train --validation`)."""
    if split_name not in ("held-out", "validation"):
        raise ValueError(f"unknown split {split_name!r}; use 'held-out' or 'validation'")
    llm = load_default_llm(threads, adapters=adapters)
    turns = load_turns()
    train, held = split(turns) if split_name == "held-out" else validation_split(turns)
    if max_turns:
        # every persona-fact turn first (the headline metric), then an even spread of the rest
        persona = [t for t in held if t.category.startswith("persona")]
        rest = [t for t in held if not t.category.startswith("persona")]
        room = max(max_turns // 2, max_turns - len(persona))
        persona = persona[::max(1, len(persona) // max(max_turns - room, 1))][:max_turns - room]
        held = persona + rest[::max(1, len(rest) // max(room, 1))][:room]
    answer_ids = summary_ids = None
    if answer_others is not None:
        persona = [t.id for t in held if t.category.startswith("persona")]
        others = [t.id for t in held if not t.category.startswith("persona")]
        answer_ids = set(persona + others[::max(1, len(others) // max(answer_others, 1))][:answer_others])
    if summaries is not None:
        summary_ids = {t.id for t in held[::max(1, len(held) // max(summaries, 1))][:summaries]}
    answered = [t for t in held if answer_ids is None or t.id in answer_ids]
    aspects = dict(zip((t.id for t in answered), persona_aspects([t.message for t in answered])))
    asked = [t for t in answered if t.persona_aspect]
    shown_right = sum(aspects[t.id] == t.persona_aspect for t in asked)
    shown_unasked = sum(bool(aspects[t.id]) for t in answered if not t.persona_aspect)
    scores = evaluate(llm, held, answer_ids, summary_ids, train_answers={t.answer for t in train}, aspects=aspects)
    which = ("Held-out split of dialogue/data/turns.jsonl (never seen in training)" if split_name == "held-out" else
             "Validation part of the training split (left out by `ohlora train --validation`)")
    whose = "the committed adapters" if adapters is None else f"the adapters in {adapters}"
    body = (f"{which}, greedy decoding with "
            f"{whose}: memory and expression on all {scores.memory_turns} turns, answers on "
            f"{scores.turns} (every persona-fact turn and a spread of the others), summaries on "
            f"{scores.summary_turns}. Each answer prompt shows the persona fact the persona-question classifier "
            f"finds in the message, as in a live conversation: the asked fact on {shown_right} of {len(asked)} "
            f"persona questions, a fact nobody asked about on {shown_unasked} of {len(answered) - len(asked)} other "
            f"answered turns.\n\n{scores.table()}\n")
    if scores.failures:
        misses = dict.fromkeys(scores.failures)  # a question asked twice with the same answer is listed once
        body += (f"\nPersona-fact misses ({len(misses)} distinct of {len(scores.failures)}):\n\n"
                 + "\n".join(f"- {f}" for f in misses) + "\n")
    return scores, body


def persona_aspects(messages: list[str]) -> list[str]:
    """The persona fact each message asks about, by the shipped persona-question classifier."""
    try:
        from dialogue.classifiers import PersonaQuestionClassifier

        classifier = PersonaQuestionClassifier()
    except Exception as e:
        raise RuntimeError(f"the persona-question classifier could not be loaded ({e}); run `ohlora weights "
                           "prepare` (it needs the e5 encoder) or `ohlora classifiers train --task persona`") from e
    return classifier.aspects(messages)
