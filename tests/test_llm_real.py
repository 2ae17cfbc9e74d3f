"""Integration: the serving decoder on the prepared Gemma 3 270M and the committed adapters, against transformers
+ peft (the training stack), and its fp16-packed weights against fp32 on held-out prompts."""
from __future__ import annotations

import json
import threading
from datetime import datetime

import pytest
import torch

from tests.conftest import require_prepared

pytestmark = pytest.mark.real_weights

ROLE_PROMPTS = {
    "answer": "<start_of_turn>user\n요즘 볼만한 드라마 추천해 줄래?<end_of_turn>\n<start_of_turn>model\n",
    "memory": "<start_of_turn>user\n기억할 것 / what to remember:\nMy cat Nabi keeps scratching the sofa<end_of_turn>\n"
              "<start_of_turn>model\n",
}


@pytest.fixture(scope="module")
def base():
    require_prepared("gemma3-270m")
    from weights import prepared_path

    return prepared_path("gemma3-270m")


def _heldout_items(n: int) -> list[dict]:
    from dialogue.data.written import WRITTEN_DIR

    lines = (WRITTEN_DIR / "heldout" / "open.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    return items[:: max(1, len(items) // n)][:n]


def _answer_prompt(item: dict) -> str:
    from dialogue.prompting import TurnContext, answer_prompt

    memory = " ".join(f"[{k}: {v}]" for k, v in item["memories"])
    history = tuple((h["user"], h["answer"]) for h in item.get("history") or [])
    return answer_prompt(item["message"], TurnContext(now=datetime.fromisoformat(item["now"]), memory=memory,
                                                      history=history))


def greedy_agreement(reference: list[int], other: list[int]) -> float:
    """Share of the reference's positions both continuations agree on before they first differ (after a
    difference the texts go separate ways, so the rest counts as misses)."""
    same = 0
    for a, b in zip(reference, other):
        if a != b:
            break
        same += 1
    return same / max(len(reference), len(other), 1)


def _all_texts() -> list[str]:
    """Every string in dialogue/data (messages, answers, memories of every writer), plus odd whitespace,
    special markers, emoji and random strings."""
    import random

    from dialogue.data.turns import DATA_PATH

    texts: set[str] = set()

    def walk(x) -> None:
        if isinstance(x, str):
            texts.add(x)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    for path in DATA_PATH.parent.rglob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                walk(json.loads(line))
    rng = random.Random(0)
    alphabet = [chr(c) for c in [*range(32, 127), *range(0xAC00, 0xAC00 + 300), *range(0x3131, 0x3190),
                                 *range(0x1F600, 0x1F650), 9, 10, 13, 0x200B, 0xA0, 0x3000, 0xFF01, 0x2028]]
    randoms = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(2000)]
    odd = ["", " ", "  double  space ", "tab\there", "\n\n\nx", "<start_of_turn>user\nx<end_of_turn>\n<bos><eos>",
           "오로라 ㅋㅋㅋ 🤣🤣", "１２３ ＡＢＣ"]
    return sorted(texts) + randoms + odd


def test_the_tokenizer_encodes_and_decodes_as_transformers_does(base):
    from transformers import AutoTokenizer

    from dialogue.tokenizer import TextTokenizer

    reference = AutoTokenizer.from_pretrained(base)
    ours = TextTokenizer.from_folder(base)
    texts = _all_texts()
    assert len(texts) > 50_000
    for text in texts:
        ids = reference(text)["input_ids"]
        assert ours.encode(text) == ids, text
        assert ours.decode(ids) == reference.decode(ids, skip_special_tokens=True), text
    assert ours.count("안녕 오로라") == len(reference("안녕 오로라", add_special_tokens=False)["input_ids"])
    assert ours.token_id("<end_of_turn>") == reference.convert_tokens_to_ids("<end_of_turn>")
    assert ours.token_id("no such piece") is None


def test_the_decoder_computes_the_logits_transformers_and_peft_compute(base):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from dialogue.decoder import GemmaDecoder, SequenceInput
    from dialogue.tokenizer import TextTokenizer
    from dialogue.packed_weights import fp16_packing_available
    from dialogue.llm_loading import ADAPTERS_DIR

    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    model = PeftModel.from_pretrained(model, ADAPTERS_DIR / "answer", adapter_name="answer")
    model.load_adapter(ADAPTERS_DIR / "memory", adapter_name="memory")
    tokenizer = TextTokenizer.from_folder(base)
    adapters = {r: ADAPTERS_DIR / r for r in ROLE_PROMPTS}
    fp32 = GemmaDecoder.from_files(base, adapters, packed=False)
    heads = {"fp32": fp32.head(None)}
    packed = None
    if fp16_packing_available(torch.device("cpu")):
        packed = GemmaDecoder.from_files(base, adapters, packed=True)
        heads["packed"] = packed.head(None)
    for role, prompt in ROLE_PROMPTS.items():
        ids = tokenizer.encode(prompt)
        model.set_adapter(role)
        with torch.no_grad():
            want = model(input_ids=torch.tensor([ids])).logits[0, -1]
        got = heads["fp32"](fp32.forward([SequenceInput(ids, fp32.new_cache(64), role)]))[0]
        torch.testing.assert_close(got, want, atol=2e-4, rtol=1e-4)
        if packed is not None:  # fp16 weights: close, and the same top token
            got = heads["packed"](packed.forward([SequenceInput(ids, packed.new_cache(64), role)]))[0]
            assert (got - want).abs().max() < 0.05 * want.std()
            assert int(got.argmax()) == int(want.argmax())


def test_fp16_packed_weights_write_the_fp32_answers_on_held_out_prompts(base):
    from dialogue.llm import InProcessLLM
    from dialogue.packed_weights import fp16_packing_available
    from dialogue.llm_loading import ADAPTERS_DIR

    if not fp16_packing_available(torch.device("cpu")):
        pytest.skip("this torch build has no fbgemm fp16 kernels: the fp32 path is the one that runs")
    engines = {p: InProcessLLM.from_pretrained(base, ADAPTERS_DIR, threads=2, packed=p) for p in (False, True)}
    scores = []
    for item in _heldout_items(30):
        prompt = _answer_prompt(item)
        ids = {}
        for packed, llm in engines.items():
            got: list[int] = []
            llm.decode_tokens("answer", prompt, 24, 0.0, None, got.append, threading.Event())
            ids[packed] = got
        scores.append(greedy_agreement(ids[False], ids[True]))
    for llm in engines.values():
        llm.close()
    assert sum(scores) / len(scores) >= 0.95, scores
