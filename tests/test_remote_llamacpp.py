"""The remote LLM path against a real engine: llama.cpp's server (llama-cpp-python[server], the `llamacpp`
extra) serving the embedded Gemma GGUF with our four role adapters converted to GGUF LoRA.

Skipped where llama-cpp-python is not installed (it builds from source: `pip install -e '.[llamacpp]'`,
~6 minutes on 2 cores; `.ci/setup` installs it). The GGUF files go to $OHLORA_LLAMACPP_DIR, else the
weights cache (`ohlora weights llamacpp` makes them; the fixture does it when missing).
"""
from __future__ import annotations

import asyncio
import urllib.request
from datetime import datetime

import pytest

from dialogue.llamacpp import INSTALL_HINT, LlamaCppServer, server_available
from tests.conftest import require_prepared

pytestmark = pytest.mark.skipif(not server_available(), reason=INSTALL_HINT)

NOW = datetime(2025, 11, 29, 15, 0)
TURN_TIMEOUT = 600.0  # generous: a CPU shared with a training job decodes at under 1 token/s


@pytest.fixture(scope="module")
def llamacpp_files():
    require_prepared("gemma3-270m")
    from weights.llamacpp import prepare_llamacpp

    return prepare_llamacpp()


@pytest.fixture
def engine(llamacpp_files, tmp_path):
    with LlamaCppServer(llamacpp_files, log=tmp_path / "llamacpp.log") as server:
        yield server


def _generate(llm, role, prompt, max_new_tokens):
    from dialogue.llm import Completion, TextDelta

    async def go():
        pieces, done = [], None
        async for ev in llm.generate(role, prompt, max_new_tokens=max_new_tokens):
            if isinstance(ev, TextDelta):
                pieces.append(ev.text)
            elif isinstance(ev, Completion):
                done = ev
        await llm.aclose()
        return pieces, done

    return asyncio.run(go())


def test_our_adapters_as_gguf_lora_speak_as_her_on_llamacpp(engine):
    """The converted adapters carry the persona and the role formats: the bare base model knows neither."""
    from dialogue.backends import RemoteLLM, RemoteOptions
    from dialogue.prompting import TurnContext, answer_prompt, expression_prompt, memory_prompt
    from dialogue.roles import parse_expression, parse_memories

    options = RemoteOptions.from_options(engine.url, "answer,memory,summary,expression")
    # the prompt the live pipeline sends for this question: the persona-question classifier shows her name card
    # (without it, the adapter of 2026-12-04 on llama.cpp's Q4 kernels says "나는 AI 작가 겸 가상 인간이야!", where
    # the in-process decoder says her name: a near-tie that the engines' arithmetic decides differently)
    prompt = answer_prompt("너 이름이 뭐야?", TurnContext(now=NOW, persona_aspect="name"))
    pieces, done = _generate(RemoteLLM(options), "answer", prompt, 40)
    assert len(pieces) > 2 and done.finished, pieces  # streamed token by token, ended by <end_of_turn>
    assert "오로라" in done.text, done.text
    # the live memory prompt carries the day; the shipped memory role stores this plan in-process (it misses the
    # Korean "나 내일 친구랑 카페 가기로 했어": docs/dialogue-eval.md, the memory role)
    told = memory_prompt("I'm going to a cafe with a friend tomorrow", NOW)
    _, memory = _generate(RemoteLLM(options), "memory", told, 48)
    assert parse_memories(memory.text), memory.text
    # the memory role's first-step stop bias travels as logit_bias on <end_of_turn>: the engine honours it (a huge
    # one stops at once), and with the committed bias the plain fact is still stored, as in process
    from dialogue.llm_loading import ADAPTERS_DIR, role_stop_bias

    _, stopped = _generate(RemoteLLM(options, stop_bias={"memory": 20.0}, stop_token_id=106), "memory", told, 48)
    assert stopped.text == "" and stopped.finished, stopped.text
    _, biased = _generate(RemoteLLM(options, stop_bias=role_stop_bias(ADAPTERS_DIR), stop_token_id=106), "memory", told, 48)
    assert parse_memories(biased.text) == parse_memories(memory.text), (biased.text, memory.text)
    _, expression = _generate(RemoteLLM(options), "expression", expression_prompt("우와, 정말 신난다! 😊"), 20)
    assert parse_expression(expression.text) is not None, expression.text


def test_ohlora_serve_streams_her_answer_and_keeps_going_when_the_engine_dies(engine):
    from dialogue.roles import ENGINE_DOWN
    from realtime.client import OhloraClient
    from tests.realtime_servers import ServerProcess

    server = ServerProcess(settings=["dialogue.backend=remote", f"dialogue.remote_url={engine.url}",
                                     "dialogue.remote_models=answer,memory,summary,expression",
                                     "dialogue.remote_connect_timeout_s=2", "dialogue.remote_read_timeout_s=60",
                                     # every answer from the engine: a written answer would need none
                                     "dialogue.answer_bank=0"])
    server.start(timeout=900)
    try:
        async def body():
            async with OhloraClient(server.ws) as c:
                await c.wait_frames(3, timeout=60)
                deltas, done = await c.turn("안녕! 너 이름이 뭐야?", timeout=TURN_TIMEOUT)
                assert len(deltas) >= 2 and not done["interrupted"]
                assert done["text"] != ENGINE_DOWN["ko"] and "".join(d["text"] for d in deltas).strip()
                assert done["expression"] is not None

                engine.kill()  # the engine crashes between two turns
                deltas, done = await c.turn("오늘 뭐 했어?", timeout=120)
                assert done["text"] == ENGINE_DOWN["ko"] and not done["interrupted"]
                assert "".join(d["text"] for d in deltas).split() == ENGINE_DOWN["ko"].split()
                assert not [m for _, m in c.received if m["type"] == "error"]
                n = c.frames_received  # the face keeps going on the same socket
                await c.wait_frames(5, timeout=30)
                assert c.frames_received > n and c.close_code is None

        asyncio.run(asyncio.wait_for(body(), 1800))
        with urllib.request.urlopen(f"{server.base}/metrics", timeout=5) as r:
            metrics = r.read().decode()
        assert "ohlora_dialogue_engine_unreachable 1" in metrics
    finally:
        server.stop()


def test_on_a_cpu_with_amx_models_load_without_the_extra_buffer_types(monkeypatch):
    """llama.cpp's AMX buffers crash this model on the first token; elsewhere its fast repacked buffers stay."""
    import llama_cpp.llama_cpp as lib

    import dialogue.llamacpp as llamacpp

    monkeypatch.setattr(lib, "llama_model_default_params", lib.llama_model_default_params)
    monkeypatch.setattr(llamacpp, "cpu_has_amx", lambda: False)
    assert not llamacpp.keep_weights_off_amx() and lib.llama_model_default_params().use_extra_bufts
    monkeypatch.setattr(llamacpp, "cpu_has_amx", lambda: True)
    assert llamacpp.keep_weights_off_amx() and llamacpp.keep_weights_off_amx()  # once is enough, twice is harmless
    assert lib.llama_model_default_params().use_extra_bufts is False
