"""In-process backend on a tiny random Gemma: streaming, restricted head, adapters, cancellation, training."""
from __future__ import annotations

import asyncio
import time

import pytest
import torch

from dialogue.llm import Completion, InProcessLLM, TextDelta
from tests.dialogue_tiny import save_tiny_base, tiny_gemma, tiny_tokenizer, with_adapters


@pytest.fixture(scope="module")
def tiny_llm():
    tok = tiny_tokenizer()
    model = with_adapters(tiny_gemma(len(tok)))
    # no stop tokens in the vocabulary: the random model never ends on its own
    vocab = [i for i in range(len(tok)) if i > 5]
    return InProcessLLM(model, tok, vocab_ids=vocab, threads=1)


async def _collect(gen):
    events = [ev async for ev in gen]
    return events


def test_streams_deltas_then_one_completion(tiny_llm):
    events = asyncio.run(_collect(tiny_llm.generate("answer", "<start_of_turn>user\n안녕<end_of_turn>\n", max_new_tokens=12)))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert isinstance(events[-1], Completion) and sum(isinstance(e, Completion) for e in events) == 1
    assert "".join(deltas) == events[-1].text
    assert events[-1].tokens == 12 and not events[-1].finished
    assert events[-1].timings["first_token_s"] > 0


def test_restricted_head_only_emits_allowed_tokens():
    tok = tiny_tokenizer()
    model = tiny_gemma(len(tok))
    allowed = [tok.convert_tokens_to_ids(c) for c in "가나다라"]
    llm = InProcessLLM(model, tok, vocab_ids=allowed)
    out = llm.generate_text("answer", "hello", max_new_tokens=10)
    assert out.text and set(out.text) <= set("가나다라")
    # greedy over the slice equals greedy over the full head with the other rows masked out
    full = InProcessLLM(model, tok, vocab_ids=None)
    h = torch.randn(32)
    logits = h @ full.head.T
    masked = torch.full_like(logits, -float("inf"))
    masked[allowed] = logits[allowed]
    assert llm._pick(h, 0.0, None, set()) == int(torch.argmax(masked))


def test_a_repetition_penalty_steers_greedy_answers_off_the_tokens_they_already_hold():
    tok = tiny_tokenizer()
    model = tiny_gemma(len(tok))
    allowed = [tok.convert_tokens_to_ids(c) for c in "가나다라"]
    llm = InProcessLLM(model, tok, vocab_ids=allowed)
    plain = llm.generate_text("memory", "hello", max_new_tokens=12).text
    llm.head = torch.eye(4, 32) * torch.tensor([[3.0], [2.0], [-1.0], [-0.5]])  # logits 3, 2, -1, -0.5
    h = torch.ones(32)
    assert llm._pick(h, 0.0, None, set(), [allowed[0]]) == allowed[0]  # no penalty configured: unchanged
    llm.repetition_penalty = 2.0
    assert llm._pick(h, 0.0, None, set(), [allowed[0]]) == allowed[1]  # 3 / 2 < 2
    assert llm._pick(h, 0.0, None, set(), [allowed[0], allowed[1]]) == allowed[0]  # 1.5 > 1
    llm.head = torch.eye(4, 32) * torch.tensor([[-1.0], [-1.5], [-3.0], [-4.0]])
    assert llm._pick(h, 0.0, None, set(), [allowed[0]]) == allowed[1]  # negative logits are multiplied: -2 < -1.5
    llm = InProcessLLM(model, tok, vocab_ids=allowed)
    llm.repetition_penalty = 1e6
    assert llm.generate_text("memory", "hello", max_new_tokens=12).text == plain  # structured roles decode plainly


def test_top_p_samples_only_from_the_nucleus():
    tok = tiny_tokenizer()
    llm = InProcessLLM(tiny_gemma(len(tok)), tok, vocab_ids=None)
    h = torch.randn(32) * 50  # a peaked distribution: the top token carries nearly all the mass
    best = llm._pick(h, 0.0, None, set())
    llm.top_p = 0.5
    gen = torch.Generator().manual_seed(0)
    assert {llm._pick(h, 1.0, gen, set()) for _ in range(50)} == {best}


def test_roles_switch_adapters(tiny_llm):
    a = tiny_llm.generate_text("answer", "오늘 날씨 맑아", max_new_tokens=8).text
    b = tiny_llm.generate_text("memory", "오늘 날씨 맑아", max_new_tokens=8).text
    assert a == tiny_llm.generate_text("answer", "오늘 날씨 맑아", max_new_tokens=8).text  # greedy is repeatable
    assert a != b  # a different adapter decodes differently


def test_closing_the_stream_cancels_generation(tiny_llm):
    async def run():
        gen = tiny_llm.generate("answer", "cancel me", max_new_tokens=100_000)
        got = 0
        async for ev in gen:
            got += isinstance(ev, TextDelta)
            if got >= 3:
                break
        await gen.aclose()
        t0 = time.perf_counter()
        while tiny_llm._lock.locked() and time.perf_counter() - t0 < 5:
            await asyncio.sleep(0.01)
        return tiny_llm._lock.locked()

    assert asyncio.run(run()) is False
    assert tiny_llm.last_stats.steps < 1000  # stopped within a few tokens, not at 100k


def test_event_loop_stays_responsive_while_decoding(tiny_llm):
    async def run():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.005)

        task = asyncio.create_task(ticker())
        await _collect(tiny_llm.generate("answer", "x", max_new_tokens=60))
        task.cancel()
        return ticks

    assert asyncio.run(run()) > 3


def test_layer_split_matches_full_forward():
    from dialogue.training import run_layers

    tok = tiny_tokenizer()
    model = tiny_gemma(len(tok))
    ids = torch.tensor([tok("안녕, 오로라! hello")["input_ids"]])
    with torch.no_grad():
        ref = model(input_ids=ids).logits
        tm = model.model
        h = run_layers(tm, tm.embed_tokens(ids), torch.ones_like(ids), range(0, 2))
        h = tm.norm(run_layers(tm, h, torch.ones_like(ids), range(2, 4)))
    torch.testing.assert_close(model.lm_head(h), ref, atol=1e-4, rtol=1e-4)


def test_training_is_seeded_and_adapters_load_back(tmp_path):
    from safetensors.torch import load_file

    from dialogue.dataset import load_turns
    from dialogue.training import TrainConfig, train_role

    base = save_tiny_base(tmp_path / "base")
    turns = load_turns()[:40] + [t for t in load_turns() if t.held_out][:8]
    weights = []
    for run in ("a", "b"):
        cfg = TrainConfig(role="memory", max_steps=3, eval_every=2, batch_size=4, adapted_from_layer=2, threads=1)
        report = train_role(cfg, base, out_root=tmp_path / run, turns=turns)
        assert report.steps == 3 and report.history and report.held_out_examples > 0
        weights.append(load_file(tmp_path / run / "memory" / "adapter_model.safetensors"))
        assert (tmp_path / run / "memory" / "training_report.json").exists()
    assert weights[0].keys() == weights[1].keys()
    for k in weights[0]:
        torch.testing.assert_close(weights[0][k], weights[1][k])
    llm = InProcessLLM.from_pretrained(base, tmp_path / "a")
    assert llm.adapters == {"memory"} and llm.vocab is not None
    assert isinstance(llm.generate_text("memory", "hi", max_new_tokens=4), Completion)


def test_validation_training_early_stops_on_the_validation_part(tmp_path):
    from dialogue.dataset import load_turns, validation_split
    from dialogue.training import TrainConfig, role_examples, train_role

    base = save_tiny_base(tmp_path / "base")
    turns = load_turns()[:60] + [t for t in load_turns() if t.held_out][:8]
    fit, val = validation_split(turns)
    cfg = TrainConfig(role="memory", max_steps=2, eval_every=2, batch_size=4, adapted_from_layer=2, threads=1,
                      validation=True)
    report = train_role(cfg, base, out_root=tmp_path / "v", turns=turns)
    assert val and (report.train_examples, report.held_out_examples) == (
        len(role_examples(fit, "memory")), len(role_examples(val, "memory")))


def test_merged_answer_adapter_decodes_like_the_switched_one():
    tok = tiny_tokenizer()
    model = with_adapters(tiny_gemma(len(tok)))
    vocab = [i for i in range(len(tok)) if i > 5]
    prompt = "오늘 날씨 맑아"
    switched = InProcessLLM(model, tok, vocab_ids=vocab, threads=1, merge_answer=False)
    want_answer = switched.generate_text("answer", prompt, max_new_tokens=8).text
    want_memory = switched.generate_text("memory", prompt, max_new_tokens=8).text
    assert switched.merged is None

    merged = InProcessLLM(model, tok, vocab_ids=vocab, threads=1, merge_answer=True)
    assert merged.generate_text("answer", prompt, max_new_tokens=8).text == want_answer
    assert merged.merged == "answer"
    # the other roles run on the plain base again: unmerged first
    assert merged.generate_text("memory", prompt, max_new_tokens=8).text == want_memory
    assert merged.merged is None
    assert merged.generate_text("answer", prompt, max_new_tokens=8).text == want_answer


def test_fp16_packed_role_weights_decode_like_the_fp32_adapters():
    from dialogue.packed_weights import PackedLinear

    tok = tiny_tokenizer()
    model = with_adapters(tiny_gemma(len(tok)), roles=("answer", "memory"))
    vocab = [i for i in range(len(tok)) if i > 5]
    prompt = "<start_of_turn>user\n오늘 날씨 맑아<end_of_turn>\n"
    fp32 = InProcessLLM(model, tok, vocab_ids=vocab, threads=1, merge_answer=False)
    want = {role: fp32.generate_text(role, prompt, max_new_tokens=10).text
            for role in ("answer", "memory", "summary", "expression")}
    before = {k: v.clone() for k, v in model.state_dict().items()}

    packed = InProcessLLM(model, tok, vocab_ids=vocab, threads=1, packed=True)
    assert packed.packed is not None and packed.merged is None
    for role in ("answer", "memory", "summary", "answer"):  # summary has no adapter here: the bare base
        assert packed.generate_text(role, prompt, max_new_tokens=10).text == want[role], role
    # the packed copies leave the fp32 model as it was, and only the layers a role adapts are its own
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    answer, memory = packed.packed.get("answer"), packed.packed.get("memory")
    assert isinstance(answer.layers[0].mlp.up_proj, PackedLinear)  # not adapted: shared base weight
    assert answer.layers[0].mlp.up_proj is memory.layers[0].mlp.up_proj
    assert answer.layers[0].self_attn.q_proj is not memory.layers[0].self_attn.q_proj
    assert answer.embed_tokens.weight is model.get_base_model().model.embed_tokens.weight  # shared, not copied

    # and the fp32 path still works after it (the bench switches between them) ...
    saved = packed.packed, packed._packed_head
    packed.use_fp32_weights()
    assert packed.generate_text("answer", prompt, max_new_tokens=10).text == want["answer"]
    assert packed.merged == "answer"
    # ... and back: a copy built after an fp32 merge is built from the plain base (expression: no adapter here)
    packed.packed, packed._packed_head = saved
    assert packed.generate_text("expression", prompt, max_new_tokens=10).text == want["expression"]
    assert packed.merged is None


def test_training_on_the_written_conversations_records_their_prompt_shape_for_the_live_engine(tmp_path):
    from dialogue.conversation import trained_prompt_shape
    from dialogue.dataset import written_turns
    from dialogue.training import TrainConfig, role_examples, train_role

    base = save_tiny_base(tmp_path / "base")
    turns = [t for t in written_turns() if t.history][:24]
    turns += [t for t in written_turns() if t.held_out][:6]
    prompts = [p for p, _ in role_examples(turns, "answer")]
    assert any(p.count("<start_of_turn>user") > 1 for p in prompts)  # earlier exchanges are in the prompt
    cfg = TrainConfig(role="answer", max_steps=2, eval_every=2, batch_size=4, adapted_from_layer=2, threads=1,
                      data="written")
    train_role(cfg, base, out_root=tmp_path / "w", turns=turns)
    assert trained_prompt_shape(tmp_path / "w") == (3, 3)  # earlier exchanges, stored memories
    assert trained_prompt_shape(tmp_path / "nowhere") == (0, 0)
