"""A user resumes their conversation on another server instance that shares the dialogue database: the
transcript comes back in `hello`, the earlier exchanges reach the answer prompt, and every exchange a client
saw acknowledged (`chat.done`) is already in the database. Both engines; fake avatar, scripted LLM."""
from __future__ import annotations

import asyncio

from dialogue.conversation import PersonaChat
from dialogue.conversation_store import ConversationStore
from tests.database_fixtures import database, postgres_cluster  # noqa: F401  (fixtures)
from tests.realtime_servers import run, serving
from tests.test_dialogue_turn import ScriptedLLM

SETTINGS = {"server.identity_secret": "one secret for every instance", "stream.speech_chars_per_s": 5000}


def test_a_user_resumes_on_another_instance(database):
    async def body():
        first_llm, second_llm = ScriptedLLM(["반가워 민수야!"]), ScriptedLLM(["그럼, 민수잖아!"])
        first = PersonaChat(first_llm, history_turns=3, conversations=ConversationStore(database()))
        second = PersonaChat(second_llm, history_turns=3, conversations=ConversationStore(database()))
        async with serving(SETTINGS, chat=first) as a, serving(SETTINGS, chat=second) as b:
            client = a.client()
            await client.connect()
            _, done = await client.turn("안녕! 나는 민수야")
            # acknowledged, so stored: a third process reads it at once
            assert ConversationStore(database()).transcript(client.user) == [
                {"role": "user", "text": "안녕! 나는 민수야"}, {"role": "assistant", "text": done["text"]}]
            await client.close()

            elsewhere = b.client(credential=client.credential)
            hello = await elsewhere.connect()
            assert hello["user"] == client.user and not hello["resumed"]  # a new session on this instance ...
            assert [t["text"] for t in hello["transcript"]] == ["안녕! 나는 민수야", "반가워 민수야!"]  # ... same talk
            _, done = await elsewhere.turn("내 이름 기억해?")
            assert done["text"] == "그럼, 민수잖아!" and not done["interrupted"]
            prompt = [p for role, p in second_llm.prompts if role == "answer"][0]
            assert "안녕! 나는 민수야" in prompt and "반가워 민수야!" in prompt
            await elsewhere.close()
        await asyncio.sleep(0)
    run(body())
