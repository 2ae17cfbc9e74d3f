"""The persona-question classifier's rows: the SFT turns' messages and the memory cases' questions, each
labelled with the persona fact it asks about or "none"."""
from __future__ import annotations

from dialogue.data.build_memory import NEIGHBOUR_BATCH
from dialogue.data.turns import Turn

# The memory cases' questions (dialogue/data/memory_cases.jsonl) are mostly about the user ("내 생일 기억해?",
# "what's my major again?"): hard negatives for the persona-question classifier, which must not show her
# birthday when the user asks about their own. These few ask about her (labelled by hand).
MEMORY_QUESTIONS_ABOUT_HER = {
    "how old are you, Lora?": "age", "로라 몇 살이야?": "age",
    "when is your birthday?": "birthday", "너 생일이 언제야?": "birthday",
    "what's your MBTI?": "mbti", "로라 너 MBTI 뭐야?": "mbti",
    "which school do you go to?": "university", "로라는 어느 학교 다녀?": "university",
    "what is Oh-LoRA's light?": "ability", "오로라의 빛이 뭐야?": "ability",
}


def persona_question_rows(turns: list[Turn], memory_cases: list[dict] | None = None) -> list[dict]:
    """The persona-question classifier's data: each distinct message once per split, labelled with the
    persona fact it asks about or "none". SFT turns keep their split (held-out -> test, validation -> val,
    else train); the memory cases' questions (batches 1-3) not among the turns' messages keep theirs
    (MEMORY_QUESTIONS_ABOUT_HER labels the few that ask about her)."""
    rows, seen = [], set()
    for t in turns:
        part = "test" if t.held_out else "val" if t.validation else "train"
        if (t.message, part) in seen:
            continue
        seen.add((t.message, part))
        rows.append({"text": t.message, "label": t.persona_aspect or "none", "split": part, "lang": t.lang,
                     "source": "turns"})
    messages = {t.message for t in turns}
    for case in memory_cases or []:
        q = case["question"]
        if case.get("batch") == NEIGHBOUR_BATCH:  # retrieval's neighbour training data, not this classifier's
            continue
        if q in messages or (q, case["split"]) in seen:
            continue
        seen.add((q, case["split"]))
        rows.append({"text": q, "label": MEMORY_QUESTIONS_ABOUT_HER.get(q, "none"), "split": case["split"],
                     "lang": case["lang"], "source": "memory_cases"})
    return rows
