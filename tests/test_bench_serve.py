"""`ohlora bench serve --converse-s`: users who each send the next message when her answer ends."""
from __future__ import annotations

import argparse

from realtime.bench import conversing
from tests.realtime_servers import run, serving


def test_conversing_users_each_get_every_answer_and_their_first_tokens_are_timed():
    async def go():
        async with serving({"stream.speech_chars_per_s": 400}) as s:
            args = argparse.Namespace(sessions=3, viewers=1, size=64, fps=10, converse_s=1.5)
            return await conversing(s.ws, args)

    talk = run(go())
    assert len(talk["chat_fps"]) == 3 and len(talk["viewer_fps"]) == 1
    # every user answered at least twice within the time, one first token per answer
    assert len(talk["first_token"]) == len(talk["answer_s"]) >= 6
    assert all(0 < ms < 5000 for ms in talk["first_token"])
    assert min(talk["chat_fps"]) > 0 and min(talk["viewer_fps"]) > 0
