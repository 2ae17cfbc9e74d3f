"""`ohlora render --animate`: a demo video of the frames the server streams (idle, a sentence spoken, a smile),
rendered through an avatar session on an offline clock."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from render.avatar import AvatarRenderer
from render.avatar_session import AvatarSession
from render.clocks import OfflineClock

DEMO_SENTENCE = ["안녕", "하세요", "!", " 저는", " 오로라", "예요", ".", " 만나서", " 반가워요", "."]


def script_demo(session: AvatarSession, seconds: float) -> None:
    """Idle, then speak a sentence token by token, then smile: events placed on the session clock."""
    speak_at, smile_at = 0.3 * seconds, 0.7 * seconds
    session.answer_started(at=speak_at)
    step = (smile_at - 0.15 * seconds - speak_at) / len(DEMO_SENTENCE)
    for i, tok in enumerate(DEMO_SENTENCE):
        session.token(tok, at=speak_at + i * step)
    session.answer_ended(at=speak_at + len(DEMO_SENTENCE) * step)
    session.set_expression("normal", "wide", "none", at=smile_at)  # the mouth direction reads "open smile"


def write_demo(renderer: AvatarRenderer, output: Path, seconds: float, size: int, fps: float,
               quality: int = 90) -> int:
    """Render a scripted demo through a session (the server's path, on an offline clock) into a video."""
    import cv2
    from tqdm import tqdm

    count = max(1, int(round(seconds * fps)))
    writer = cv2.VideoWriter(str(output), cv2.VideoWriter_fourcc(*"mp4v"), fps, (size, size))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write video '{output}'; use a .mp4 or .avi file name")
    session = renderer.open_session(size=size, fps=fps, quality=quality, clock=OfflineClock())
    script_demo(session, seconds)

    try:
        with tqdm(total=count, desc="demo frames", unit="frame") as bar:
            def write(_pts: float, bgr: np.ndarray) -> None:
                writer.write(bgr)  # the streamed JPEG itself, decoded
                bar.update(1)

            session.decoded_frames(count, each=write)
        return bar.n
    finally:
        writer.release()
        session.close()
