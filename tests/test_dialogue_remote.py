"""The OpenAI-compatible remote backend against a fake aiohttp server speaking the real SSE format."""
from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web

from dialogue.backends import RemoteLLM
from dialogue.llm import Completion, LLMBackendError, TextDelta


def _chunk(text, finish=None):
    return "data: " + json.dumps({"id": "cmpl-1", "object": "text_completion", "model": "x",
                                  "choices": [{"index": 0, "text": text, "logprobs": None,
                                               "finish_reason": finish}]}) + "\n\n"


async def _serve(handler):
    app = web.Application()
    app.router.add_post("/v1/completions", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/v1"


def _run(handler, role="memory", models=None):
    seen = {}

    async def wrapped(request):
        seen["body"] = await request.json()
        return await handler(request)

    async def go():
        runner, url = await _serve(wrapped)
        try:
            llm = RemoteLLM(url, models or {"answer": "ohlora-answer", "memory": "ohlora-memory"}, timeout_s=5)
            return [ev async for ev in llm.generate(role, "PROMPT", max_new_tokens=9)]
        finally:
            await runner.cleanup()

    return asyncio.run(go()), seen


def test_streams_sse_chunks_and_sends_the_role_model():
    async def handler(request):
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b": keep-alive\n\n")
        for piece in ["[오늘 ", "날씨: ", "맑음]"]:
            await resp.write(_chunk(piece).encode())
            await asyncio.sleep(0.01)
        await resp.write(_chunk("", "stop").encode())
        await resp.write(b"data: [DONE]\n\n")
        return resp

    events, seen = _run(handler)
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["[오늘 ", "날씨: ", "맑음]"]
    assert isinstance(events[-1], Completion) and events[-1].text == "[오늘 날씨: 맑음]" and events[-1].finished
    assert seen["body"]["model"] == "ohlora-memory" and seen["body"]["stream"] is True
    assert seen["body"]["prompt"] == "PROMPT" and seen["body"]["max_tokens"] == 9


def test_server_dying_mid_stream_is_an_error():
    async def handler(request):
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(_chunk("안녕").encode())
        await asyncio.sleep(0.01)
        request.transport.close()  # the server process dies: no [DONE]
        return resp

    with pytest.raises(LLMBackendError) as err:
        _run(handler, role="answer")
    assert "answer" not in str(err.value) or "died" in str(err.value) or "failed" in str(err.value)


def test_http_error_names_the_status():
    async def handler(request):
        return web.json_response({"error": "adapter not found"}, status=404)

    with pytest.raises(LLMBackendError, match="404"):
        _run(handler)


def test_unknown_role_is_an_error():
    async def handler(request):  # never reached
        return web.Response()

    with pytest.raises(LLMBackendError, match="no remote model"):
        _run(handler, role="summary", models={"answer": "a"})
