"""The OpenAI-compatible remote backend against a stand-in aiohttp engine speaking the real SSE format (the
real engine, llama.cpp's server, is in tests/test_remote_llamacpp.py): wire format, pooled connections, API
key, timeouts, chat mode, and what the conversation does when the engine is down."""
from __future__ import annotations

import asyncio
import inspect
import json
from datetime import datetime

import pytest
from aiohttp import web

from dialogue.backends import API_KEY_ENV, EngineUnreachable, RemoteLLM, RemoteOptions, RoleRoutedLLM
from dialogue.conversation import PersonaChat, build_chat_engine
from dialogue.interfaces import Expression, TokenEvent, TurnDone
from dialogue.llm import Completion, LLMBackendError, TextDelta
from dialogue.prompting import TurnContext
from dialogue.roles import ENGINE_DOWN, parse_expression_lenient, parse_memories_lenient

NOW = datetime(2025, 11, 29, 15, 0)


def _chunk(text, finish=None, chat=False):
    choice = ({"index": 0, "delta": {"content": text}, "finish_reason": finish} if chat else
              {"index": 0, "text": text, "logprobs": None, "finish_reason": finish})
    return "data: " + json.dumps({"id": "cmpl-1", "object": "x", "model": "x", "choices": [choice]}) + "\n\n"


async def _stream(request, pieces, chat=False):
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    await resp.write(b": keep-alive\n\n")
    for piece in pieces:
        await resp.write(_chunk(piece, chat=chat).encode())
        await asyncio.sleep(0.005)
    await resp.write(_chunk("", "stop", chat=chat).encode())
    await resp.write(b"data: [DONE]\n\n")
    return resp


class StandIn:
    """An engine on a free port that records every request and its client connection."""

    def __init__(self, handler):
        self.handler = handler
        self.requests: list[dict] = []
        self.peers: set = set()

    async def __aenter__(self):
        async def wrapped(request):
            self.requests.append({"path": request.path, "headers": dict(request.headers),
                                  "body": await request.json()})
            self.peers.add(request.transport.get_extra_info("peername"))
            result = self.handler(request)
            return await result if inspect.isawaitable(result) else result

        app = web.Application()
        app.router.add_post("/v1/completions", wrapped)
        app.router.add_post("/v1/chat/completions", wrapped)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"
        return self

    async def __aexit__(self, *exc):
        await self.runner.cleanup()


def _options(url, models="ohlora-answer,ohlora-memory,ohlora-summary,ohlora-expression", **kw):
    return RemoteOptions.from_options(url, models, env=kw.pop("env", {}), **kw)


def _generate(handler, role="memory", prompt="PROMPT", **kw):
    async def go():
        async with StandIn(handler) as engine:
            llm = RemoteLLM(_options(engine.url, **kw))
            try:
                return [ev async for ev in llm.generate(role, prompt, max_new_tokens=9)], engine.requests
            finally:
                await llm.aclose()

    return asyncio.run(go())


def test_streams_sse_chunks_and_sends_the_role_model():
    events, seen = _generate(lambda r: _stream(r, ["[오늘 ", "날씨: ", "맑음]"]))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["[오늘 ", "날씨: ", "맑음]"]
    assert isinstance(events[-1], Completion) and events[-1].text == "[오늘 날씨: 맑음]" and events[-1].finished
    body = seen[0]["body"]
    assert seen[0]["path"] == "/v1/completions" and body["model"] == "ohlora-memory" and body["stream"] is True
    assert body["prompt"] == "PROMPT" and body["max_tokens"] == 9 and body["stop"] == ["<end_of_turn>"]
    assert "Authorization" not in seen[0]["headers"]


def _biased(first_token: str):
    """An engine whose first token is `first_token` when asked for one token with a logit bias."""
    async def handler(request):
        body = await request.json()
        if body.get("logit_bias"):
            return await _stream(request, [first_token] if first_token else [])
        return await _stream(request, ["오늘 ", "날씨: 맑음]"])
    return handler


def test_a_role_with_a_stop_bias_asks_its_first_token_with_the_bias_then_the_rest_without():
    async def go(first_token, role="memory"):
        async with StandIn(_biased(first_token)) as engine:
            llm = RemoteLLM(_options(engine.url), stop_bias={"memory": 0.6}, stop_token_id=106)
            try:
                return [ev async for ev in llm.generate(role, "PROMPT", max_new_tokens=9)], engine.requests
            finally:
                await llm.aclose()

    events, seen = asyncio.run(go("["))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["[", "오늘 ", "날씨: 맑음]"]
    assert events[-1].text == "[오늘 날씨: 맑음]" and events[-1].tokens == 3
    first, rest = (r["body"] for r in seen)
    assert first["logit_bias"] == {"106": 0.6} and first["max_tokens"] == 1 and first["prompt"] == "PROMPT"
    assert "logit_bias" not in rest and rest["max_tokens"] == 8 and rest["prompt"] == "PROMPT["
    events, seen = asyncio.run(go(""))           # the biased first token ended the turn: nothing to store
    assert len(seen) == 1 and events[-1].text == "" and events[-1].finished
    events, seen = asyncio.run(go("[", role="answer"))   # a role without a bias: one plain request
    assert len(seen) == 1 and "logit_bias" not in seen[0]["body"] and seen[0]["body"]["max_tokens"] == 9


def test_api_key_comes_from_the_environment_and_is_never_shown():
    options = _options("http://127.0.0.1:1/v1", env={API_KEY_ENV: "sk-secret"})
    assert options.api_key == "sk-secret" and "sk-secret" not in repr(options)
    _, seen = _generate(lambda r: _stream(r, ["x"]), env={API_KEY_ENV: "sk-secret"})
    assert seen[0]["headers"]["Authorization"] == "Bearer sk-secret"


def test_one_pooled_connection_serves_many_requests():
    async def go():
        async with StandIn(lambda r: _stream(r, ["a", "b"])) as engine:
            llm = RemoteLLM(_options(engine.url))
            for role in ("answer", "memory", "summary", "expression", "answer"):
                [ev async for ev in llm.generate(role, "P")]
            session = llm._session
            await llm.aclose()
            return engine.peers, session

    peers, session = asyncio.run(go())
    assert len(peers) == 1  # keep-alive: five requests, one TCP connection
    assert session.closed


def test_chat_mode_sends_messages_to_chat_completions():
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "안녕"}]
    events, seen = _generate(lambda r: _stream(r, ["안녕", "! 반가워"], chat=True), role="answer", prompt=messages,
                             models="gemma-3-4b-it", api="chat")
    assert events[-1].text == "안녕! 반가워"
    assert seen[0]["path"] == "/v1/chat/completions" and seen[0]["body"]["messages"] == messages
    assert seen[0]["body"]["model"] == "gemma-3-4b-it" and "prompt" not in seen[0]["body"]


def test_server_dying_mid_stream_is_engine_unreachable():
    async def handler(request):
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(_chunk("안녕").encode())
        await asyncio.sleep(0.01)
        request.transport.close()  # the server process dies: no [DONE]
        return resp

    with pytest.raises(EngineUnreachable):
        _generate(handler, role="answer")


def test_silence_longer_than_the_read_timeout_is_engine_unreachable():
    async def handler(request):
        await asyncio.sleep(1)
        return await _stream(request, ["late"])

    with pytest.raises(EngineUnreachable, match="timed out"):
        _generate(handler, role="answer", read_timeout_s=0.3)


def test_http_errors_name_the_status_and_what_to_check():
    with pytest.raises(LLMBackendError, match="404.*remote_models") as err:
        _generate(lambda r: web.json_response({"error": "adapter not found"}, status=404))
    assert not isinstance(err.value, EngineUnreachable)
    with pytest.raises(EngineUnreachable, match="503"):
        _generate(lambda r: web.json_response({"error": "overloaded"}, status=503))
    with pytest.raises(LLMBackendError, match="OHLORA_LLM_API_KEY"):
        _generate(lambda r: web.json_response({"error": "bad key"}, status=401))


def test_options_are_checked_with_their_names():
    with pytest.raises(ValueError, match="remote_url"):
        RemoteOptions.from_options(None, "a")
    with pytest.raises(ValueError, match="remote_api"):
        RemoteOptions.from_options("http://x/v1", "a", api="responses")
    with pytest.raises(ValueError, match="remote_models"):
        RemoteOptions.from_options("http://x/v1", "a,b")
    with pytest.raises(ValueError, match="remote_read_timeout_s"):
        RemoteOptions.from_options("http://x/v1", "a", read_timeout_s="soon")
    assert set(RemoteOptions.from_options("http://x/v1", "chat-model").models.values()) == {"chat-model"}
    with pytest.raises(ValueError, match="remote_roles"):
        build_chat_engine(backend="remote", remote_url="http://x/v1", remote_roles="memory", collaborators=False)


def test_build_chat_engine_with_every_role_remote_loads_no_model():
    engine = build_chat_engine(backend="remote", remote_url="http://127.0.0.1:1/v1", remote_api="chat",
                               remote_models="big-chat-model", remote_read_timeout_s="12", collaborators=False)
    assert isinstance(engine.llm, RemoteLLM) and engine.llm.options.read_timeout_s == 12.0
    assert engine.history_turns == 3


def _turn(engine, message, user="u"):
    async def go():
        return [ev async for ev in engine.turn(user, message, NOW)]

    return asyncio.run(go())


def test_engine_down_she_says_so_in_character_and_the_turn_ends_cleanly():
    engine = PersonaChat(RemoteLLM(_options("http://127.0.0.1:9/v1", connect_timeout_s=1)))  # nothing listens
    events = _turn(engine, "오늘 뭐 했어?")
    done = events[-1]
    assert isinstance(done, TurnDone) and done.text == ENGINE_DOWN["ko"]
    assert "".join(e.text for e in events if isinstance(e, TokenEvent)) == ENGINE_DOWN["ko"]
    assert engine.stats()["engine_unreachable"] == 1  # one try, no retries, no post-answer roles
    assert _turn(engine, "How was your day?")[-1].text == ENGINE_DOWN["en"]
    asyncio.run(engine.aclose())


def test_engine_dying_mid_answer_closes_what_was_shown():
    async def handler(request):
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for piece in ["오늘은 ", "날씨가 ", "좋아서 "]:
            await resp.write(_chunk(piece).encode())
        await asyncio.sleep(0.05)
        request.transport.close()
        return resp

    async def go():
        async with StandIn(handler) as remote:
            engine = PersonaChat(RemoteLLM(_options(remote.url)))
            events = [ev async for ev in engine.turn("u", "오늘 어때?", NOW)]
            await engine.aclose()
            return events

    events = asyncio.run(go())
    shown = "".join(e.text for e in events if isinstance(e, TokenEvent))
    assert shown.startswith("오늘은 날씨가") and shown.endswith(ENGINE_DOWN["ko"])
    assert events[-1].text == shown.strip() or events[-1].text.replace(" ", "") == shown.replace(" ", "")


def test_chat_mode_turn_carries_the_persona_and_parses_a_general_models_roles():
    """A general chat model: persona in the system prompt, chat habits in its role output parsed anyway."""
    outputs = {"answer": ["나는 떡볶이", "를 제일 좋아해! 😊"], "memory": ["Sure!\n- [좋아하는 음식: 떡볶이]"],
               "summary": ["사용자가 좋아하는 음식을 물었고 오로라는 떡볶이라고 답함"],
               "expression": ["Eyes: wide, Mouth: Wide, Head: slightly left"]}
    instructions = {"memory": "[key: value]", "summary": "Summarise", "expression": "eyes / mouth / head"}

    async def handler(request):
        body = await request.json()
        system = body["messages"][0]["content"]
        role = next((r for r, marker in instructions.items() if marker in system), "answer")
        return await _stream(request, outputs[role], chat=True)

    async def go():
        async with StandIn(handler) as remote:
            engine = PersonaChat(RemoteLLM(_options(remote.url, models="chat-model", api="chat")), history_turns=3)
            first = [ev async for ev in engine.turn("u", "나 떡볶이 좋아해. 너는 뭐 좋아해?", NOW)]
            second = [ev async for ev in engine.turn("u", "너는 매운 것도 잘 먹어?", NOW)]
            await engine.aclose()
            return first, second, remote.requests, engine

    first, second, requests, engine = asyncio.run(go())
    done = first[-1]
    assert done.text == "나는 떡볶이를 제일 좋아해! 😊"
    assert (done.memory.key, done.memory.value) == ("좋아하는 음식", "떡볶이")
    assert done.expression == Expression("wide", "wide", "slightly left") and "떡볶이" in done.summary
    assert engine.stats() == {}  # nothing was unusable
    system = requests[0]["body"]["messages"][0]["content"]
    assert "오로라" in system and "ENTJ" in system and "샘올대학교" in system and "2025년 11월 29일 토요일" in system
    assert "떡볶이" in system  # her taste sheet
    messages = requests[4]["body"]["messages"]  # the second answer: the first exchange as messages
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["content"] == "나는 떡볶이를 제일 좋아해! 😊"
    assert "[좋아하는 음식: 떡볶이]" in messages[0]["content"] or "떡볶이" in messages[0]["content"]


def test_unusable_role_output_is_counted_not_silently_dropped(caplog):
    async def handler(request):
        body = await request.json()
        return await _stream(request, ["The user likes tteokbokki."] if "remember" in json.dumps(body) else
                             ["happy face"] if "expression" in json.dumps(body) else ["Nice!"], chat=True)

    async def go():
        async with StandIn(handler) as remote:
            engine = PersonaChat(RemoteLLM(_options(remote.url, models="m", api="chat")))
            events = [ev async for ev in engine.turn("u", "I like tteokbokki.", NOW)]
            await engine.aclose()
            return events, engine

    events, engine = asyncio.run(go())
    assert events[-1].memory is None and events[-1].expression == Expression()
    assert engine.stats() == {"memory_unusable": 1.0, "expression_unusable": 1.0}
    assert "memory role wrote" in caplog.text


def test_role_routing_sends_each_role_to_its_backend():
    calls = []

    class Local:
        async def generate(self, role, prompt, **kw):
            calls.append((role, type(prompt).__name__))
            yield Completion({"memory": "", "summary": "요약", "expression": "normal / small / none"}[role])

    async def go():
        async with StandIn(lambda r: _stream(r, ["안녕!"], chat=True)) as remote:
            llm = RoleRoutedLLM({"answer": RemoteLLM(_options(remote.url, models="m", api="chat")),
                                 "memory": Local(), "summary": Local(), "expression": Local()})
            engine = PersonaChat(llm)
            events = [ev async for ev in engine.turn("u", "뭐 해?", NOW)]
            await engine.aclose()
            return events, remote.requests

    events, requests = asyncio.run(go())
    assert events[-1].text == "안녕!" and len(requests) == 1 and requests[0]["path"] == "/v1/chat/completions"
    assert calls == [("memory", "str"), ("summary", "str"), ("expression", "str")]  # Gemma prompts, locally


def test_lenient_parsers():
    assert parse_memories_lenient("```\n1. [name: Jane]\n2. [job: nurse]\n```") == [("name", "Jane"), ("job", "nurse")]
    assert parse_memories_lenient("NONE") == [] and parse_memories_lenient("없음") == []
    assert parse_memories_lenient("The user is Jane.") is None
    assert parse_expression_lenient("eyes: very wide / mouth: small / head: none") == Expression("very wide", "small",
                                                                                                  "none")
    assert parse_expression_lenient("'normal / closed / right'") == Expression("normal", "closed", "right")
    assert parse_expression_lenient("smiling") is None


def test_chat_prompt_context_lines():
    from dialogue.chat_prompts import answer_messages

    ctx = TurnContext(now=NOW, memory="[내일 일정: 카페]")
    system = answer_messages("내일 뭐 하지?", ctx)[0]["content"]
    assert "[내일 일정: 카페]" in system and "22살" in system
    english = answer_messages("What should I do?", TurnContext(now=NOW, summary="They talked about cafés."))
    assert "Always answer in English" in english[0]["content"] and "They talked about cafés." in english[0]["content"]
