"""In-process backend on a tiny random Gemma: streaming, restricted head, adapters, cancellation, training."""
from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
import torch

from dialogue.llm import Completion, InProcessLLM, LLMBackendError, TextDelta
from tests.dialogue_tiny import save_tiny_base, tiny_gemma, tiny_tokenizer, with_adapters


@pytest.fixture(scope="module")
def tiny_llm():
    tok = tiny_tokenizer()
    model = with_adapters(tiny_gemma(len(tok)))
    # no stop tokens in the vocabulary: the random model never ends on its own
    vocab = [i for i in range(len(tok)) if i > 5]
    return InProcessLLM.from_transformers(model, tok, vocab_ids=vocab, threads=1)


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
    llm = InProcessLLM.from_transformers(model, tok, vocab_ids=allowed)
    out = llm.generate_text("answer", "hello", max_new_tokens=10)
    assert out.text and set(out.text) <= set("가나다라")
    # greedy over the slice equals greedy over the full head with the other rows masked out
    full = InProcessLLM.from_transformers(model, tok, vocab_ids=None)
    h = torch.randn(1, 32)
    logits = full.head(h)[0]
    masked = torch.full_like(logits, -float("inf"))
    masked[allowed] = logits[allowed]
    assert llm._pick(llm.head(h)[0], 0.0, None) == int(torch.argmax(masked))


def test_a_repetition_penalty_steers_greedy_answers_off_the_tokens_they_already_hold():
    tok = tiny_tokenizer()
    model = tiny_gemma(len(tok))
    allowed = [tok.convert_tokens_to_ids(c) for c in "가나다라"]
    llm = InProcessLLM.from_transformers(model, tok, vocab_ids=allowed)
    plain = llm.generate_text("memory", "hello", max_new_tokens=12).text
    logits = torch.tensor([3.0, 2.0, -1.0, -0.5])
    assert llm._pick(logits, 0.0, None, [allowed[0]]) == allowed[0]  # no penalty configured: unchanged
    llm.repetition_penalty = 2.0
    assert llm._pick(logits, 0.0, None, [allowed[0]]) == allowed[1]  # 3 / 2 < 2
    assert llm._pick(logits, 0.0, None, [allowed[0], allowed[1]]) == allowed[0]  # 1.5 > 1
    assert logits.tolist() == [3.0, 2.0, -1.0, -0.5]  # the caller's row is left as it was
    logits = torch.tensor([-1.0, -1.5, -3.0, -4.0])
    assert llm._pick(logits, 0.0, None, [allowed[0]]) == allowed[1]  # negative logits are multiplied: -2 < -1.5
    llm.repetition_penalty = 1e6
    assert llm.generate_text("memory", "hello", max_new_tokens=12).text == plain  # structured roles decode plainly


def test_a_stop_bias_lets_a_role_speak_only_when_its_first_word_beats_saying_nothing():
    tok = tiny_tokenizer()
    llm = InProcessLLM.from_transformers(with_adapters(tiny_gemma(len(tok))), tok, vocab_ids=None, threads=1)
    assert llm.stop_ids and llm._stop_rows
    plain = {r: llm.generate_text(r, "hello", max_new_tokens=6) for r in ("memory", "answer")}
    assert plain["memory"].text  # the random model does not stop at once
    llm.stop_bias["memory"] = 1e4
    shut = llm.generate_text("memory", "hello", max_new_tokens=6)
    assert shut.text == "" and shut.finished and shut.tokens == 0  # nothing to remember
    assert llm.generate_text("answer", "hello", max_new_tokens=6).text == plain["answer"].text  # other roles as before
    logits = torch.zeros(len(tok))
    logits[sorted(llm.stop_ids)[0]] = 1.0
    assert llm._pick(logits, 0.0, None, stop_bias=-2.0) not in llm.stop_ids  # the first word must beat stopping
    assert llm._pick(logits, 0.0, None) in llm.stop_ids and logits.max() == 1.0  # the row itself is left alone


def test_an_opening_language_steers_the_answer_until_its_first_letter():
    tok = tiny_tokenizer()
    allowed = [tok.convert_tokens_to_ids(c) for c in "가나다라abcd12!"]
    llm = InProcessLLM.from_transformers(tiny_gemma(len(tok)), tok, vocab_ids=allowed)

    def first_letter(text: str) -> int:
        return next(i for i, c in enumerate(text) if c.isalpha())

    plain = llm.generate_text("answer", "hello", max_new_tokens=8).text
    en = llm.generate_text("answer", "hello", max_new_tokens=8, opening="en").text
    ko = llm.generate_text("answer", "hello", max_new_tokens=8, opening="ko").text
    assert en[first_letter(en)] in "abcd" and ko[first_letter(ko)] in "가나다라"
    assert plain[first_letter(plain)] in (en[first_letter(en)], ko[first_letter(ko)])  # one of them was steered
    # digits and punctuation open no language; after the first letter nothing is banned
    opened = first_letter(en) + 1
    assert llm.generate_text("answer", "hello" + en[:opened], max_new_tokens=8 - opened).text == en[opened:]
    # 'en-only': no Hangul anywhere in the text
    only = llm.generate_text("answer", "hello", max_new_tokens=8, opening="en-only").text
    assert set(en) & set("가나다라") and only and not set(only) & set("가나다라")
    for bad in ("fr", "ko-only"):
        with pytest.raises(ValueError, match="'ko', 'en' or 'en-only'"):
            llm.generate_text("answer", "hello", max_new_tokens=2, opening=bad)


def test_top_p_samples_only_from_the_nucleus():
    tok = tiny_tokenizer()
    llm = InProcessLLM.from_transformers(tiny_gemma(len(tok)), tok, vocab_ids=None)
    logits = torch.randn(len(tok)) * 50  # a peaked distribution: the top token carries nearly all the mass
    best = llm._pick(logits, 0.0, None)
    llm.top_p = 0.5
    gen = torch.Generator().manual_seed(0)
    assert {llm._pick(logits, 1.0, gen) for _ in range(50)} == {best}


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
        while tiny_llm.busy and time.perf_counter() - t0 < 5:
            await asyncio.sleep(0.01)
        return tiny_llm.busy

    assert asyncio.run(run()) == 0
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
    from dialogue.training.lora import run_layers

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

    from dialogue.data.turns import load_turns
    from dialogue.training.lora import TrainConfig, train_role

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
    from dialogue.data.turns import load_turns, validation_split
    from dialogue.training.lora import TrainConfig, role_examples, train_role

    base = save_tiny_base(tmp_path / "base")
    turns = load_turns()[:60] + [t for t in load_turns() if t.held_out][:8]
    fit, val = validation_split(turns)
    cfg = TrainConfig(role="memory", max_steps=2, eval_every=2, batch_size=4, adapted_from_layer=2, threads=1,
                      validation=True)
    report = train_role(cfg, base, out_root=tmp_path / "v", turns=turns)
    assert val and (report.train_examples, report.held_out_examples) == (
        len(role_examples(fit, "memory")), len(role_examples(val, "memory")))


def _reference_greedy(model, tok, vocab: list[int], role: str | None, prompt: str, n: int) -> str:
    """Greedy decoding with transformers' own forward pass (no cache), over the same restricted head."""
    ids = tok(prompt)["input_ids"]
    out: list[int] = []
    ctx = model.disable_adapter() if role is None else contextlib.nullcontext()
    if role is not None:
        model.set_adapter(role)
    with ctx, torch.no_grad():
        for _ in range(n):
            logits = model(input_ids=torch.tensor([ids + out])).logits[0, -1]
            out.append(vocab[int(torch.argmax(logits[vocab]))])
    return tok.decode(out)


@pytest.mark.parametrize("packed", [False, True])
def test_every_role_decodes_like_transformers_with_its_adapter(packed):
    tok = tiny_tokenizer()
    model = with_adapters(tiny_gemma(len(tok)), roles=("answer", "memory"))
    vocab = [i for i in range(len(tok)) if i > 5]
    # longer than the tiny model's 8-token sliding window, so local layers must forget the start
    prompt = "<start_of_turn>user\n오늘 날씨 맑아, 산책 갈래?<end_of_turn>\n"
    llm = InProcessLLM.from_transformers(model, tok, vocab_ids=vocab, threads=1, packed=packed)
    assert llm.adapters == {"answer", "memory"}
    for role in ("answer", "memory", "summary"):  # summary has no adapter here: the bare base
        want = _reference_greedy(model, tok, vocab, role if role in llm.adapters else None, prompt, 10)
        assert llm.generate_text(role, prompt, max_new_tokens=10).text == want, role


def test_generations_of_several_sessions_share_steps_and_decode_as_if_alone(tiny_llm):
    prompts = [("answer", "첫 번째 사용자"), ("memory", "second user, a longer message here"),
               ("answer", "셋"), ("summary", "네 번째 사용자의 메시지")]
    alone = [tiny_llm.generate_text(role, p, max_new_tokens=12).text for role, p in prompts]

    async def together():
        async def one(role, p):
            return [ev async for ev in tiny_llm.generate(role, p, max_new_tokens=12)][-1]
        return await asyncio.gather(*(one(role, p) for role, p in prompts))

    done = asyncio.run(together())
    assert [c.text for c in done] == alone
    assert max(tiny_llm.last_stats.batch_sizes) > 1  # they really ran in shared forward passes


def test_a_conversations_next_prompt_reuses_the_cache_of_its_earlier_turn(tiny_llm):
    first = "<start_of_turn>user\n안녕, 오늘 뭐 해?<end_of_turn>\n<start_of_turn>model\n"
    answer = tiny_llm.generate_text("answer", first, max_new_tokens=6).text
    follow_up = f"{first}{answer}<end_of_turn>\n<start_of_turn>user\n그렇구나<end_of_turn>\n<start_of_turn>model\n"
    warm = tiny_llm.generate_text("answer", follow_up, max_new_tokens=8).text
    assert tiny_llm.last_stats.reused_tokens >= len(tiny_llm.tokenizer.encode(first))
    tiny_llm.clear_prefix_cache()
    assert tiny_llm.generate_text("answer", follow_up, max_new_tokens=8).text == warm  # same text as read afresh
    assert tiny_llm.last_stats.reused_tokens == 0
    # another role's cache is never reused: its adapter made different keys and values
    tiny_llm.clear_prefix_cache()
    tiny_llm.generate_text("memory", first, max_new_tokens=4)
    tiny_llm.generate_text("answer", first, max_new_tokens=4)
    assert tiny_llm.last_stats.reused_tokens == 0


def test_a_failing_step_reaches_the_caller_and_the_engine_goes_on(tiny_llm, monkeypatch):
    real = tiny_llm.decoder.forward

    def broken(batch):
        raise RuntimeError("simulated kernel failure")

    monkeypatch.setattr(tiny_llm.decoder, "forward", broken)

    async def run():
        return [ev async for ev in tiny_llm.generate("answer", "hi", max_new_tokens=4)]

    with pytest.raises(LLMBackendError, match="simulated kernel failure"):
        asyncio.run(run())
    monkeypatch.setattr(tiny_llm.decoder, "forward", real)
    assert tiny_llm.generate_text("answer", "hi", max_new_tokens=4).tokens == 4


def test_embedding_rows_are_read_from_the_weights_file(tmp_path):
    from dialogue.weight_files import EmbeddingFile

    base = save_tiny_base(tmp_path / "base")
    table = EmbeddingFile(base / "model.safetensors", "model.embed_tokens.weight")
    want = tiny_gemma(len(tiny_tokenizer())).model.embed_tokens.weight.detach()
    assert table.shape == tuple(want.shape)
    torch.testing.assert_close(table[torch.tensor([5, 0, 5, len(want) - 1])], want[[5, 0, 5, len(want) - 1]])
    with pytest.raises(IndexError, match="outside the vocabulary"):
        table[torch.tensor([len(want)])]


def test_training_on_the_written_conversations_records_their_prompt_shape_for_the_live_engine(tmp_path):
    from dialogue.llm_loading import trained_prompt_shape
    from dialogue.data.turns import written_turns
    from dialogue.training.lora import TrainConfig, role_examples, train_role

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


@pytest.mark.parametrize("packed", [False, True])
def test_the_fused_single_token_step_computes_what_the_torch_ops_compute(packed):
    """dialogue/decode_step.cpp, built by the set-up where a C++ compiler exists, against the plain torch path:
    one sequence's tokens one at a time, past the sliding window, for the merged role, a side role and the bare base."""
    import shutil

    from dialogue.decoder import GemmaDecoder, SequenceInput

    if shutil.which("c++") is None and shutil.which("g++") is None:
        pytest.skip("no C++ compiler: the decoder runs the torch ops path only")
    tok = tiny_tokenizer()
    model = with_adapters(tiny_gemma(len(tok)), roles=("answer", "memory"))
    decoder = GemmaDecoder.from_transformers(model, packed=packed)
    fused = decoder._fused
    assert fused is not None, "the fused decode step did not build: run `python -m dialogue.decode_native`"
    for role in ("answer", "memory", None):
        caches = [decoder.new_cache(4), decoder.new_cache(4)]  # grown while decoding, as in use
        prompt = [5, 9, 14, 3, 22, 7]
        outs = []
        for fused_step, cache in zip((fused, None), caches):
            decoder._fused = fused_step
            hidden = [decoder.forward([SequenceInput(prompt, cache, role)])]
            hidden += [decoder.forward([SequenceInput([10 + t], cache, role)]) for t in range(12)]  # window 8
            outs.append(torch.cat(hidden))
        decoder._fused = fused
        torch.testing.assert_close(outs[0], outs[1], rtol=1e-5, atol=1e-5, msg=f"role {role}")
        for name in ("keys", "values"):  # and both wrote the same cache
            torch.testing.assert_close(getattr(caches[0], name)[:, :18], getattr(caches[1], name)[:, :18])


def test_a_roles_stop_bias_is_read_from_its_adapter_folder_and_a_bad_file_is_named(tmp_path):
    import json

    from dialogue.llm_loading import role_stop_bias

    assert role_stop_bias(tmp_path) == {}
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "decoding.json").write_text(json.dumps({"stop_bias": 1.5, "chosen": "validation"}))
    assert role_stop_bias(tmp_path) == {"memory": 1.5}
    (tmp_path / "memory" / "decoding.json").write_text('{"stop": 1}')
    with pytest.raises(ValueError, match=r"memory/decoding.json: expected"):
        role_stop_bias(tmp_path)
    (tmp_path / "memory" / "decoding.json").write_text('{"stop_bias": 99}')
    with pytest.raises(ValueError, match="outside"):
        role_stop_bias(tmp_path)


def test_a_build_lock_left_by_a_killed_build_is_removed_and_a_fresh_one_kept(tmp_path):
    """Ctrl-C during the first start's build leaves torch's lock file behind, and the next start would wait on it
    forever; an old lock is removed, a lock of a build running now is left to it."""
    from dialogue.decode_native import STALE_LOCK_S, clear_stale_lock

    lock = tmp_path / "lock"
    assert not clear_stale_lock(tmp_path)  # no lock: nothing to do
    lock.write_text("")
    now = lock.stat().st_mtime
    assert not clear_stale_lock(tmp_path, now=now + 30) and lock.exists()  # a build in progress
    assert clear_stale_lock(tmp_path, now=now + STALE_LOCK_S + 1) and not lock.exists()
