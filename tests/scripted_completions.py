"""A scripted OpenAI-compatible completions server (`POST /v1/completions`, SSE) for tests that run real
`ohlora serve` processes with `[dialogue] remote_url` pointing at it: the whole dialogue engine is real
(PersonaChat, the safety gate, MemoryStore and ConversationStore on the shared database); only the text the
LLM writes is scripted, by role (the remote model name is the role) and by what the prompt holds.

It runs its own event loop in a thread, so a synchronous test can start it beside server subprocesses.
"""
from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable

from aiohttp import web

Script = Callable[[str, str], tuple[str, float]]  # (role, prompt) -> (text, seconds between pieces)


def _chunk(text: str, finish: str | None = None) -> bytes:
    choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
    return ("data: " + json.dumps({"id": "cmpl-scripted", "object": "text_completion", "model": "scripted",
                                   "choices": [choice]}, ensure_ascii=False) + "\n\n").encode("utf-8")


class ScriptedCompletions:
    """`with ScriptedCompletions(script) as llm:` serves at `llm.url` (`…/v1`); `llm.prompts` holds every
    (role, prompt) it was asked, in order."""

    def __init__(self, script: Script):
        self.script = script
        self.prompts: list[tuple[str, str]] = []
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="scripted-llm", daemon=True)

    async def _complete(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        role, prompt = body["model"], body["prompt"]
        self.prompts.append((role, prompt))
        text, delay_s = self.script(role, prompt)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for i in range(0, len(text), 4):
            await response.write(_chunk(text[i:i + 4]))
            if delay_s:
                await asyncio.sleep(delay_s)
        await response.write(_chunk("", "stop"))
        await response.write(b"data: [DONE]\n\n")
        return response

    async def _start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/completions", self._complete)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"

    def __enter__(self) -> "ScriptedCompletions":
        self._thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def asked(self, role: str) -> list[str]:
        return [p for r, p in self.prompts if r == role]
